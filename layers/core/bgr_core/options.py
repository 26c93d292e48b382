"""Output options a client chooses for a cutout; carried on the job or batch."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OutputOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: Literal["png", "webp", "jpg"] = Field(
        "png", description="jpg has no transparency: white or bgColor"
    )
    channels: Literal["rgba", "alpha"] = Field("rgba", description="rgba cutout, or the alpha mask only")
    bg_color: str | None = Field(
        None,
        alias="bgColor",
        pattern="^#[0-9a-fA-F]{6}$",
        description="flatten onto this colour (#rrggbb) instead of transparency",
    )
    crop: bool = Field(False, description="crop to the subject")
    margin: int = Field(0, ge=0, le=500, description="pixels kept around the subject when cropping")
    margin_unit: Literal["px", "%"] = Field(
        "px", alias="marginUnit", description="margin in pixels, or in percent of the subject's size"
    )
    max_pixels: int | None = Field(
        None, alias="maxPixels", ge=1, description="scale the output down to at most this many pixels"
    )
