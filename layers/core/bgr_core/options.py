"""Output options a client chooses for a cutout; carried on the job or batch (SPEC §6)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OutputOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: Literal["png", "webp"] = "png"
    channels: Literal["rgba", "alpha"] = Field("rgba", description="rgba cutout, or the alpha mask only")
    bg_color: str | None = Field(
        None,
        alias="bgColor",
        pattern="^#[0-9a-fA-F]{6}$",
        description="flatten onto this colour (#rrggbb) instead of transparency",
    )
    crop: bool = Field(False, description="crop to the subject")
    margin: int = Field(0, ge=0, le=500, description="pixels kept around the subject when cropping")
