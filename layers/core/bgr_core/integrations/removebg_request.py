"""remove.bg's API v1.0 request (`POST /v1.0/removebg`) read into this service's terms: the image
source, the output options, the tier and the price.

Fields and values follow remove.bg's documentation: `size` (preview, full, auto, and the legacy
small, regular, medium, hd, 4k, 50MP), `type`, `type_level`, `format` (auto, png, jpg, webp),
`channels`, `bg_color` (hex or a colour name), `bg_image_url` / `bg_image_file` (not with
`bg_color`), `crop`, `crop_margin` (px or %, one value), `roi`, `scale`, `position`,
`shadow_type` (none, drop, auto; 3D and car are refused naming what is supported),
`shadow_opacity` and the deprecated `add_shadow` (a drop shadow). A value outside what remove.bg
documents is refused with a 400 naming the field, before anything is charged. Unknown field
names are ignored, as remove.bg does.
"""

import base64
import binascii
import math
import re
from dataclasses import dataclass, replace

from PIL import ImageColor

from bgr_core.money.pricing import TIERS
from bgr_core.platform.errors import DomainError
from bgr_core.work.output_options import OutputOptions

PREVIEW_PIXELS = 250_000
# Output size caps per `size` value; None: the input's own resolution.
SIZES: dict[str, int | None] = {
    "preview": PREVIEW_PIXELS,
    "small": PREVIEW_PIXELS,
    "regular": PREVIEW_PIXELS,
    "medium": 1_500_000,
    "hd": 4_000_000,
    "4k": 10_000_000,
    "full": None,
    "auto": None,
    "50mp": None,
}
PREVIEW_SIZES = ("preview", "small", "regular")
TYPES = ("auto", "person", "product", "animal", "car", "transportation", "graphic", "other")
TYPE_LEVELS = ("none", "latest", "1", "2")
FORMATS = ("auto", "png", "jpg", "webp", "zip")
CHANNELS = ("rgba", "alpha")
SOURCES = ("image_file", "image_file_b64", "image_url")
SHADOW_TYPES = ("none", "drop", "auto")  # remove.bg's 3d and car need a 3D model of the subject
REMOVEBG_SHADOW_TYPES = (*SHADOW_TYPES, "3d", "car")
_LENGTH = r"(\d+(?:\.\d+)?)(px|%)?"
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False, "": False}


class RemoveBgError(DomainError):
    """An error as remove.bg reports it: a title, a code and the detail."""

    status = 400

    def __init__(self, title: str, code: str, detail: str = "", status: int = 400, **details):
        super().__init__(detail or title, **details)
        self.title, self.code, self.detail, self.status = title, code, detail, status


def invalid(field: str, detail: str) -> RemoveBgError:
    return RemoveBgError(f"Invalid value for {field}", "invalid_parameter", detail, field=field)


@dataclass(frozen=True)
class Request:
    source: str  # image_file | image_file_b64 | image_url
    image: bytes | None  # image_file, image_file_b64 decoded; None for image_url
    image_url: str | None
    filename: str
    background: bytes | None  # bg_image_file
    tier: str
    size: str
    type: str
    options: OutputOptions

    @property
    def credits_per_image(self) -> int:
        """The tier's credits; a preview costs a quarter of them, rounded up."""
        credits = TIERS[self.tier].credits
        return math.ceil(credits / 4) if self.size in PREVIEW_SIZES else credits

    @property
    def reported_type(self) -> str:
        """X-Type: the type asked for (nothing is detected here), `other` for auto."""
        return "other" if self.type == "auto" else self.type


def sandbox_options(options: OutputOptions) -> OutputOptions:
    """A test key's output options (here and on /mcp): the same ones at preview size."""
    return options.model_copy(update={"max_pixels": PREVIEW_PIXELS})


def sandboxed(req: Request) -> Request:
    """A test key's request: the same options at preview size (it is charged nothing)."""
    return replace(req, size="preview", options=sandbox_options(req.options))


def _text(fields: dict, name: str, default: str) -> str:
    value = fields.get(name)
    if value is None or value == "":
        return default
    return str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()


def _choice(fields: dict, name: str, allowed, default: str) -> str:
    value = _text(fields, name, default)
    if value not in allowed:
        raise invalid(name, f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _boolean(fields: dict, name: str) -> bool:
    value = fields.get(name)
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text not in _BOOLEANS:
        raise invalid(name, f"{name} must be true or false, not {value!r}")
    return _BOOLEANS[text]


def bg_color(value: str) -> str:
    """A hex colour (rgb, rrggbb, rrggbbaa with an opaque alpha) or a colour name -> #rrggbb."""
    text = value.strip()
    hexa = text.removeprefix("#")
    if re.fullmatch(r"[0-9a-fA-F]{8}", hexa):
        if hexa[6:].lower() != "ff":
            raise invalid("bg_color", "a translucent bg_color is not supported; use an opaque one")
        hexa = hexa[:6]
    if re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}", hexa):
        text = f"#{hexa}"
    try:
        red, green, blue = ImageColor.getrgb(text)[:3]
    except ValueError as exc:
        raise invalid("bg_color", f"{value!r} is not a hex colour or a colour name") from exc
    return f"#{red:02x}{green:02x}{blue:02x}"


def crop_margin(value) -> tuple[int, str]:
    """One margin for all sides: `30px`, `30`, or `10%` (remove.bg's limits: 500 px, 50 %)."""
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+)\s*(px|%)?", text)
    if not match:
        raise invalid("crop_margin", f"{value!r}: one margin, in px or %, is supported (e.g. 30px, 10%)")
    amount, unit = int(match.group(1)), match.group(2) or "px"
    if amount > (50 if unit == "%" else 500):
        raise invalid("crop_margin", f"{value!r} is over the limit of 500px or 50%")
    return amount, unit


def roi(value) -> str | None:
    """`x1 y1 x2 y2`, each in px (the default unit) or %, x1 < x2 and y1 < y2 where comparable."""
    parts = str(value).strip().lower().split()
    matches = [re.fullmatch(_LENGTH, p) for p in parts]
    if len(parts) != 4 or not all(matches):
        raise invalid("roi", f"{value!r}: roi is `x1 y1 x2 y2`, each in px or % (e.g. 10% 10% 90% 90%)")
    lengths = [(float(m.group(1)), m.group(2) or "px") for m in matches]
    if any(unit == "%" and amount > 100 for amount, unit in lengths):
        raise invalid("roi", f"{value!r}: percentages are at most 100%")
    for start, end in ((lengths[0], lengths[2]), (lengths[1], lengths[3])):
        if start[1] == end[1] and start[0] >= end[0]:
            raise invalid("roi", f"{value!r}: x1 must be less than x2 and y1 less than y2")
    return " ".join(f"{amount:g}{unit}" for amount, unit in lengths)


def scale(value) -> int | None:
    text = str(value).strip().lower()
    if text == "original":
        return None
    match = re.fullmatch(r"(\d+)\s*%", text)
    if not match or not 10 <= int(match.group(1)) <= 100:
        raise invalid("scale", f"{value!r}: scale is `original` or from 10% to 100%")
    return int(match.group(1))


def position(value) -> str:
    text = re.sub(r"\s+", " ", str(value).strip().lower())
    values = text.split()
    if text in ("original", "center") or (
        1 <= len(values) <= 2 and all(re.fullmatch(r"\d{1,3}%", v) and int(v[:-1]) <= 100 for v in values)
    ):
        return text
    raise invalid("position", f"{value!r}: position is original, center, or one or two values 0%-100%")


def shadow_type(fields: dict) -> str:
    kind = _choice(fields, "shadow_type", REMOVEBG_SHADOW_TYPES, "none")
    if kind not in SHADOW_TYPES:
        raise RemoveBgError(
            "Unsupported value for shadow_type",
            "unsupported_parameter",
            f"shadow_type {kind!r} is not supported here; supported: {', '.join(SHADOW_TYPES)}",
            field="shadow_type",
        )
    if kind == "none" and _boolean(fields, "add_shadow"):  # deprecated: a shadow of the subject
        return "auto"
    return kind


def shadow_opacity(value) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,3}", text) or int(text) > 100:
        raise invalid("shadow_opacity", f"{value!r}: shadow_opacity is a whole number from 0 to 100")
    return int(text)


def parse(fields: dict, files: dict[str, tuple[str, bytes]]) -> Request:
    """The request's fields (text or JSON values) and files -> Request, or RemoveBgError."""
    given = [s for s in SOURCES if fields.get(s) or s in files]
    if not given:
        raise RemoveBgError(
            "No image given", "missing_source", "send image_file, image_file_b64 or image_url"
        )
    if len(given) > 1:
        raise RemoveBgError("Multiple images given", "multiple_sources", f"send one of {', '.join(given)}")
    backgrounds = [name for name in ("bg_image_url", "bg_image_file") if fields.get(name) or name in files]
    if len(backgrounds) > 1:
        raise RemoveBgError(
            "Multiple backgrounds given", "multiple_sources", "send one of bg_image_url, bg_image_file"
        )
    if backgrounds and fields.get("bg_color"):
        raise invalid(backgrounds[0], f"{backgrounds[0]} and bg_color cannot be given together")

    source = given[0]
    image, url, filename = None, None, "image"
    if source == "image_file":
        filename, image = files["image_file"]
    elif source == "image_file_b64":
        text = re.sub(r"^data:[\w/+.-]+;base64,", "", str(fields["image_file_b64"]).strip())
        try:
            image = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid("image_file_b64", "image_file_b64 is not valid base64") from exc
    else:
        url = str(fields["image_url"]).strip()
        filename = url.rsplit("/", 1)[-1].split("?", 1)[0] or "image"

    tier = _choice(fields, "tier", tuple(TIERS), "basic")
    size = _choice(fields, "size", tuple(SIZES), "auto")
    kind = _choice(fields, "type", TYPES, "auto")
    _choice(fields, "type_level", TYPE_LEVELS, "latest")
    channels = _choice(fields, "channels", CHANNELS, "rgba")
    fmt = _choice(fields, "format", FORMATS, "auto")
    color = bg_color(str(fields["bg_color"])) if fields.get("bg_color") else None
    if fmt == "auto":  # remove.bg: PNG where there is transparency, else JPEG
        fmt = "jpg" if (color or backgrounds) and channels == "rgba" else "png"
    if fmt == "jpg" and channels == "alpha":
        fmt = "png"  # a mask keeps every level losslessly
    crop = _boolean(fields, "crop")
    margin, unit = crop_margin(fields["crop_margin"]) if fields.get("crop_margin") else (0, "px")
    background_url = str(fields["bg_image_url"]).strip() if "bg_image_url" in backgrounds else None
    if background_url and not re.match(r"https?://", background_url, re.IGNORECASE):
        raise invalid("bg_image_url", "bg_image_url must be an http or https URL")
    options = OutputOptions(
        format=fmt,
        channels=channels,
        bg_color=color,
        bg_image_url=background_url,
        crop=crop,
        margin=margin,
        margin_unit=unit,
        max_pixels=SIZES[size],
        roi=roi(fields["roi"]) if fields.get("roi") else None,
        scale=scale(fields["scale"]) if fields.get("scale") else None,
        position=position(fields["position"]) if fields.get("position") else None,
        shadow_type=shadow_type(fields),
        shadow_opacity=shadow_opacity(fields["shadow_opacity"]) if fields.get("shadow_opacity") else 50,
    )
    background = files["bg_image_file"][1] if "bg_image_file" in backgrounds else None
    return Request(source, image, url, filename, background, tier, size, kind, options)
