"""Output options a client chooses for a cutout; carried on the job or batch.

Besides format, channels, background colour and crop, the options remove.bg documents: a
background image (`bgImageUrl`; remove.bg's `bg_image_file` is stored with the job), a ZIP of
`color.jpg` + `alpha.png`, a drop shadow, a region of interest, and the subject's scale and
position on the canvas. Their defaults change nothing, so `plain` options take the fast path.
"""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LENGTH = r"\d+(?:\.\d+)?(?:px|%)"
ROI_PATTERN = rf"^{_LENGTH} {_LENGTH} {_LENGTH} {_LENGTH}$"
POSITION_PATTERN = r"^(original|center|\d{1,3}% \d{1,3}%|\d{1,3}%)$"
WHOLE_IMAGE = "0% 0% 100% 100%"
MEDIA_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "zip": "application/zip"}


class OutputOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: Literal["png", "webp", "jpg", "zip"] = Field(
        "png", description="jpg has no transparency: white or bgColor; zip: color.jpg + alpha.png"
    )
    channels: Literal["rgba", "alpha"] = Field("rgba", description="rgba cutout, or the alpha mask only")
    bg_color: str | None = Field(
        None,
        alias="bgColor",
        pattern="^#[0-9a-fA-F]{6}$",
        description="flatten onto this colour (#rrggbb) instead of transparency",
    )
    bg_image_url: str | None = Field(
        None,
        alias="bgImageUrl",
        pattern=r"^https?://",
        max_length=2048,
        description="composite onto this image (≤ 10 MB), centred and resized to fill the canvas "
        "preserving its aspect ratio; not with bgColor",
    )
    crop: bool = Field(False, description="crop to the subject")
    margin: int = Field(0, ge=0, le=500, description="pixels kept around the subject when cropping")
    margin_unit: Literal["px", "%"] = Field(
        "px", alias="marginUnit", description="margin in pixels, or in percent of the subject's size"
    )
    max_pixels: int | None = Field(
        None, alias="maxPixels", ge=1, description="scale the output down to at most this many pixels"
    )
    roi: str | None = Field(
        None,
        pattern=ROI_PATTERN,
        description="`x1 y1 x2 y2`, each in px or %: only this region can be foreground",
    )
    scale: int | None = Field(
        None,
        ge=10,
        le=100,
        description="the subject's larger side as this % of the canvas's; none: its original size",
    )
    position: str | None = Field(
        None,
        pattern=POSITION_PATTERN,
        description="`original`, `center`, or `X%` / `X% Y%` of the free space left of and above "
        "the subject (0% 0%: the top-left corner); default: center when scale is given, else original",
    )
    shadow_type: Literal["none", "drop", "auto"] = Field(
        "none", alias="shadowType", description="a drop shadow under the subject (auto: drop)"
    )
    shadow_opacity: int = Field(
        50, alias="shadowOpacity", ge=0, le=100, description="the shadow's opacity, %"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "OutputOptions":
        if self.bg_image_url and self.bg_color:
            raise ValueError("bgImageUrl and bgColor cannot be given together")
        if self.position and any(int(p) > 100 for p in re.findall(r"\d+", self.position)):
            raise ValueError("position percentages are at most 100%")
        if self.roi == WHOLE_IMAGE:
            self.roi = None
        return self

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def plain(self) -> bool:
        """Nothing beyond format, channels, colour, crop and size: the fast path."""
        return (
            self.format != "zip"
            and self.roi is None
            and self.scale is None
            and self.placement is None
            and self.shadow_type == "none"
            and self.bg_image_url is None
        )

    @property
    def placement(self) -> tuple[float, float] | None:
        """Where the subject goes, as fractions of the free space (x, y); None: where it was."""
        position = self.position or ("center" if self.scale else "original")
        if position == "original":
            return None
        if position == "center":
            return 0.5, 0.5
        values = [int(p) / 100 for p in re.findall(r"\d+", position)]
        return values[0], values[-1]

    def roi_box(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The region of interest in pixels of a `width`×`height` image, clipped to it."""
        if self.roi is None:
            return None
        sides = (width, height, width, height)
        box = []
        for text, side in zip(self.roi.split(), sides, strict=True):
            value = float(text.rstrip("px%"))
            box.append(round(value * side / 100) if text.endswith("%") else round(value))
        x1, y1, x2, y2 = (max(0, min(v, side)) for v, side in zip(box, sides, strict=True))
        return x1, y1, x2, y2
