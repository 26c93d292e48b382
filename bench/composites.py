"""Ground-truth composites for the quality benchmark: I = αF + (1 − α)B with α and F known.

Every image is drawn here, deterministically (a fixed seed per composite), from procedural
subjects and scikit-image's sample pictures, so the set is rebuilt identically anywhere
`make setup` ran; nothing large is committed. SUBJECTS × BACKGROUNDS gives 36 composites from
0.5 to 12 MP. What each draws on, with its source and licence, is in MATERIALS (also written to
manifest.json beside the images).

Subjects: fur (a body fringed with thousands of sub-pixel hairs), hair (a head with long and
stray strands), feather (barbs fading to nothing), glass (a stemmed glass and a bottle, 20-45 %
opaque with opaque rims and highlights), product (a textured box and a labelled jar, hard
anti-aliased edges), plant (twigs and leaves: holes and thin structure), lace (an opaque
ring of thread with see-through mesh), horse (scikit-image's silhouette), bicycle (spoked wheels).
Backgrounds: blurred and sharp photos, saturated studio colours (green, blue, magenta), a grey
studio gradient, colourised textures.
"""

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

GENERATOR_VERSION = 1  # bump when a drawing changes: cached sets of another version are redrawn
JPEG_QUALITY = 92
SIZES_MP = (0.5, 1.0, 2.5, 4.0, 1.5, 3.0, 2.0, 8.0, 12.0)
ASPECTS = (4 / 3, 1.0, 3 / 4, 3 / 2)
SUBJECTS = ("fur", "hair", "feather", "glass", "product", "plant", "lace", "horse", "bicycle")
BACKGROUNDS = ("photo_blur", "studio_colour", "texture", "photo_sharp")

_SKIMAGE = "scikit-image 0.26 sample data (skimage.data), PyPI package scikit-image"
MATERIALS = {
    "procedural": ("drawn by bench/composites.py (this repository)", "the project's own"),
    "astronaut": (_SKIMAGE, "public domain (NASA)"),
    "chelsea": (_SKIMAGE, "CC0 (Stefan van der Walt)"),
    "coffee": (_SKIMAGE, "CC0 (Rachel Michetti)"),
    "rocket": (_SKIMAGE, "public domain (SpaceX)"),
    "hubble_deep_field": (_SKIMAGE, "public domain (NASA)"),
    "retina": (_SKIMAGE, "CC0 1.0"),
    "brick": (_SKIMAGE, "CC0 (CC0Textures)"),
    "grass": (_SKIMAGE, "CC0 (CC0Textures)"),
    "gravel": (_SKIMAGE, "CC0 (CC0Textures)"),
    "horse": (_SKIMAGE, "CC0 (Andreas Preuss)"),
}
_PHOTOS = ("astronaut", "rocket", "coffee", "hubble_deep_field", "chelsea", "retina")
_TEXTURES = ("brick", "grass", "gravel")
_STUDIO = ((0, 177, 64), (0, 71, 187), (200, 0, 160), (235, 235, 235))


@dataclass(frozen=True)
class Spec:
    name: str
    subject: str
    background: str
    width: int
    height: int
    seed: int
    sources: tuple[str, ...]


@dataclass
class Composite:
    spec: Spec
    jpeg: bytes  # what the pipeline gets
    alpha: np.ndarray  # float32 (h, w) in [0, 1]
    foreground: np.ndarray  # uint8 (h, w, 3): the subject's true colour wherever α > 0


def specs() -> list[Spec]:
    out = []
    for i, subject in enumerate(SUBJECTS):
        for j, background in enumerate(BACKGROUNDS):
            mp = SIZES_MP[(i + 2 * j) % len(SIZES_MP)]
            aspect = ASPECTS[(i + j) % len(ASPECTS)]
            width = round(math.sqrt(mp * 1e6 * aspect))
            seed = 1000 * i + j
            bg_source = _background_source(background, seed)
            sources = tuple(dict.fromkeys(("procedural", *_subject_sources(subject), *bg_source)))
            out.append(
                Spec(
                    f"{subject}-{background}",
                    subject,
                    background,
                    width,
                    round(mp * 1e6 / width),
                    seed,
                    sources,
                )
            )
    return out


def load(folder: Path) -> list[Composite]:
    """The whole set, drawn into `folder` unless a set of this GENERATOR_VERSION is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    wanted = specs()
    current = json.loads(manifest.read_text()) if manifest.exists() else {}
    if current.get("version") != GENERATOR_VERSION or len(current.get("composites", [])) != len(wanted):
        for spec in wanted:
            _save(folder, draw(spec))
        manifest.write_text(
            json.dumps(
                {
                    "version": GENERATOR_VERSION,
                    "materials": {k: {"source": s, "licence": lic} for k, (s, lic) in MATERIALS.items()},
                    "composites": [asdict(spec) for spec in wanted],
                },
                indent=2,
            )
        )
    return [_read(folder, spec) for spec in wanted]


def _save(folder: Path, composite: Composite) -> None:
    name = composite.spec.name
    (folder / f"{name}.jpg").write_bytes(composite.jpeg)
    Image.fromarray(np.round(composite.alpha * 255).astype(np.uint8)).save(folder / f"{name}.alpha.png")
    Image.fromarray(composite.foreground).save(folder / f"{name}.fg.png")


def _read(folder: Path, spec: Spec) -> Composite:
    alpha = np.asarray(Image.open(folder / f"{spec.name}.alpha.png"), dtype=np.float32) / 255
    foreground = np.asarray(Image.open(folder / f"{spec.name}.fg.png"))
    return Composite(spec, (folder / f"{spec.name}.jpg").read_bytes(), alpha, foreground)


def draw(spec: Spec) -> Composite:
    rng = np.random.default_rng(spec.seed)
    canvas = _Canvas(spec.width, spec.height)
    _SUBJECT_DRAWERS[spec.subject](canvas, rng)
    alpha, foreground = canvas.result()
    background = _background(spec, rng).astype(np.float32)
    image = alpha[..., None] * foreground.astype(np.float32) + (1 - alpha[..., None]) * background
    jpeg = cv2.imencode(
        ".jpg", _bgr(np.clip(image + 0.5, 0, 255).astype(np.uint8)), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )[1]
    # What is stored is what is judged: α quantised as it is saved.
    alpha = np.round(alpha * 255).astype(np.float32) / 255
    return Composite(spec, jpeg.tobytes(), alpha, foreground)


class _Canvas:
    """Layers painted back to front; keeps premultiplied colour so F = P / α stays exact."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.unit = min(width, height)
        self.alpha = np.zeros((height, width), np.float32)
        self.premul = np.zeros((height, width, 3), np.float32)
        self.base = np.zeros((height, width, 3), np.float32)  # F where nothing was painted

    def paint(self, coverage: np.ndarray, colour) -> None:
        """`coverage`: float32 (h, w) in [0, 1]; `colour`: (h, w, 3) or an RGB triple, 0-255."""
        colour = np.broadcast_to(np.asarray(colour, np.float32), self.premul.shape)
        keep = 1 - coverage
        self.premul *= keep[..., None]
        self.premul += coverage[..., None] * colour
        self.alpha *= keep
        self.alpha += coverage
        self.base = np.where(coverage[..., None] > 0, colour, self.base)

    def layer(self) -> np.ndarray:
        return np.zeros((self.height, self.width), np.uint8)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        alpha = np.clip(self.alpha, 0, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fg = np.where(
                alpha[..., None] > 1e-4, self.premul / np.maximum(alpha, 1e-4)[..., None], self.base
            )
        return alpha, np.clip(fg + 0.5, 0, 255).astype(np.uint8)

    def pts(self, xy: np.ndarray) -> np.ndarray:
        """Unit coordinates (0-1 of the shorter side, centred) -> cv2's fixed-point pixels (shift 4)."""
        x = self.width / 2 + xy[..., 0] * self.unit
        y = self.height / 2 + xy[..., 1] * self.unit
        return np.round(np.stack([x, y], -1) * 16).astype(np.int32)


def _coverage(layer: np.ndarray, opacity: float = 1.0) -> np.ndarray:
    return layer.astype(np.float32) * (opacity / 255)


def _fill(canvas: _Canvas, polygons: list[np.ndarray]) -> np.ndarray:
    layer = canvas.layer()
    cv2.fillPoly(layer, [canvas.pts(p) for p in polygons], 255, cv2.LINE_AA, 4)
    return _coverage(layer)


def _ellipse(cx, cy, rx, ry, n=240, angle=0.0) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], -1)


def _strands(
    canvas: _Canvas, curves: list[np.ndarray], opacities: np.ndarray, thickness: int = 1
) -> np.ndarray:
    """Anti-aliased polylines, each at its own opacity, combined with 'over'."""
    coverage = np.zeros((canvas.height, canvas.width), np.float32)
    for level in np.unique(np.round(opacities, 1)):
        layer = canvas.layer()
        group = [canvas.pts(c) for c, o in zip(curves, opacities, strict=True) if round(float(o), 1) == level]
        cv2.polylines(layer, group, False, 255, thickness, cv2.LINE_AA, 4)
        cov = _coverage(layer, float(level))
        coverage = coverage + cov - coverage * cov
    return coverage


def _curve(start, direction, length, bend, n=8) -> np.ndarray:
    """A gently bent strand from `start` along `direction` (radians)."""
    t = np.linspace(0, 1, n)[:, None]
    d = np.array([math.cos(direction), math.sin(direction)])
    normal = np.array([-d[1], d[0]])
    return np.asarray(start) + t * length * d + (t**2) * bend * length * normal


def _picture(name: str, width: int, height: int, grey_tint=None) -> np.ndarray:
    """A scikit-image sample picture covering (width, height), RGB uint8."""
    from skimage import data

    pixels = getattr(data, name)()
    if pixels.ndim == 2:
        tint = np.asarray(grey_tint or (1.0, 1.0, 1.0), np.float32)
        pixels = np.clip(pixels[..., None].astype(np.float32) * tint, 0, 255).astype(np.uint8)
    pixels = pixels[..., :3]
    h, w = pixels.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    big = cv2.resize(pixels, size, interpolation=cv2.INTER_CUBIC)
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return np.ascontiguousarray(big[top : top + height, left : left + width])


def _noise_colour(canvas: _Canvas, rng, base, spread, scale=0.02) -> np.ndarray:
    """A smooth random colour field around `base` (fur, skin, leaves are never one flat colour)."""
    small = rng.normal(0, 1, (max(2, round(1 / scale)), max(2, round(canvas.width / canvas.unit / scale)), 3))
    small = small[..., :1] + 0.25 * small  # mostly lighter and darker, a little hue
    field = cv2.resize(small.astype(np.float32), (canvas.width, canvas.height), interpolation=cv2.INTER_CUBIC)
    return np.clip(np.asarray(base, np.float32) + field * spread, 0, 255)


# --- subjects (unit coordinates: the shorter side is 1, (0, 0) the centre) ---


def _fur(canvas: _Canvas, rng) -> None:
    base = rng.choice(np.array([[150, 95, 50], [220, 200, 170], [90, 85, 80], [240, 240, 235]]))
    colour = _noise_colour(canvas, rng, base, 25)
    rx, ry = rng.uniform(0.22, 0.3), rng.uniform(0.2, 0.26)
    canvas.paint(_fill(canvas, [_ellipse(0, 0.03, rx, ry)]), colour)
    n = round(900 * canvas.unit / 1000) + 1500
    t = rng.uniform(0, 2 * np.pi, n)
    depth = rng.uniform(0.0, 0.04, n)
    starts = np.stack([(rx - depth) * np.cos(t), 0.03 + (ry - depth) * np.sin(t)], -1)
    normal = np.arctan2(np.sin(t) / ry, np.cos(t) / rx)
    curves = [
        _curve(s, a, length, bend)
        for s, a, length, bend in zip(
            starts,
            normal + rng.normal(0, 0.35, n),
            rng.uniform(0.02, 0.09, n),
            rng.normal(0, 0.4, n),
            strict=True,
        )
    ]
    canvas.paint(_strands(canvas, curves, rng.uniform(0.5, 1.0, n)), colour * 1.12)


def _hair(canvas: _Canvas, rng) -> None:
    skin = _noise_colour(
        canvas, rng, rng.choice(np.array([[225, 185, 160], [160, 110, 80], [100, 70, 50]])), 8
    )
    hair = _noise_colour(
        canvas, rng, rng.choice(np.array([[60, 40, 25], [200, 160, 90], [150, 50, 20], [25, 20, 20]])), 15
    )
    shoulders = np.array([[-0.42, 0.62], [-0.36, 0.3], [-0.12, 0.2], [0.12, 0.2], [0.36, 0.3], [0.42, 0.62]])
    cloth = _noise_colour(canvas, rng, rng.integers(30, 220, 3), 10)
    canvas.paint(_fill(canvas, [shoulders]), cloth)
    canvas.paint(_fill(canvas, [_ellipse(0, -0.05, 0.14, 0.19)]), skin)
    canvas.paint(_fill(canvas, [_ellipse(0, -0.15, 0.16, 0.13)]), hair)  # the crown
    n = round(700 * canvas.unit / 1000) + 1200
    angle = rng.uniform(-np.pi * 0.95, -np.pi * 0.05, n)
    starts = np.stack([0.15 * np.cos(angle), -0.15 + 0.12 * np.sin(angle)], -1)
    curves = []
    for s, a in zip(starts, angle, strict=True):
        side = math.copysign(1, math.cos(a))
        down = math.pi / 2 - side * rng.uniform(0.1, 0.6)
        length = rng.uniform(0.15, 0.45) if abs(math.cos(a)) > 0.4 else rng.uniform(0.03, 0.1)
        curves.append(_curve(s, down if abs(math.cos(a)) > 0.4 else a, length, rng.normal(0, 0.3), n=12))
    stray = rng.integers(80, 200)
    for _ in range(stray):  # flyaways well outside the silhouette
        a = rng.uniform(-np.pi, 0)
        curves.append(
            _curve(
                (0.16 * math.cos(a), -0.15 + 0.13 * math.sin(a)),
                a + rng.normal(0, 0.5),
                rng.uniform(0.05, 0.15),
                rng.normal(0, 0.8),
                n=12,
            )
        )
    canvas.paint(_strands(canvas, curves, rng.uniform(0.35, 1.0, len(curves))), hair)


def _feather(canvas: _Canvas, rng) -> None:
    colours = np.array([[250, 250, 245], [40, 90, 200], [200, 60, 40], [30, 30, 30], [220, 180, 60]])
    a, b = rng.choice(len(colours), 2, replace=False)
    tilt = rng.uniform(-0.5, 0.5)
    shaft = _curve((-0.02, 0.42), -math.pi / 2 + tilt, 0.85, 0.15, n=40)
    y = np.linspace(0, 1, canvas.height, dtype=np.float32)[:, None, None]
    colour = np.broadcast_to(colours[a] * (1 - y) + colours[b] * y, (canvas.height, canvas.width, 3))
    curves, opacity = [], []
    n = round(500 * canvas.unit / 1000) + 500
    for k in range(n):
        t = rng.uniform(0.12, 0.98)
        point = shaft[min(len(shaft) - 1, int(t * len(shaft)))]
        envelope = 0.22 * math.sin(math.pi * min(1.0, (t - 0.1) / 0.9)) ** 0.7
        side = 1 if k % 2 else -1
        direction = -math.pi / 2 + tilt + side * rng.uniform(0.9, 1.3)
        curves.append(_curve(point, direction, envelope * rng.uniform(0.7, 1.05), side * 0.3, n=8))
        opacity.append(rng.uniform(0.3, 0.95))
    canvas.paint(_strands(canvas, curves, np.array(opacity)), colour)
    layer = canvas.layer()
    cv2.polylines(layer, [canvas.pts(shaft)], False, 255, max(2, canvas.unit // 250), cv2.LINE_AA, 4)
    canvas.paint(_coverage(layer), colours[a] * 0.8)


def _glass(canvas: _Canvas, rng) -> None:
    tint = rng.choice(np.array([[200, 230, 240], [240, 210, 150], [190, 240, 200], [235, 235, 240]]))
    if rng.random() < 0.5:  # a stemmed glass
        bowl = _ellipse(0, -0.15, 0.17, 0.2)
        stem = np.array([[-0.015, 0.03], [0.015, 0.03], [0.015, 0.33], [-0.015, 0.33]])
        foot = _ellipse(0, 0.35, 0.14, 0.03)
        body = [bowl, stem, foot]
        rims = [bowl, foot]
    else:  # a bottle
        body = [
            np.array(
                [
                    [-0.13, 0.42],
                    [-0.13, -0.05],
                    [-0.04, -0.2],
                    [-0.04, -0.42],
                    [0.04, -0.42],
                    [0.04, -0.2],
                    [0.13, -0.05],
                    [0.13, 0.42],
                ]
            )
        ]
        rims = body
    inside = _fill(canvas, body)
    y = np.linspace(-0.5, 0.5, canvas.height, dtype=np.float32)[:, None]
    canvas.paint(inside * np.clip(0.2 + 0.25 * (y + 0.5), 0.2, 0.45), tint)
    rim = canvas.layer()
    cv2.polylines(rim, [canvas.pts(p) for p in rims], True, 255, max(2, canvas.unit // 120), cv2.LINE_AA, 4)
    canvas.paint(_coverage(rim, 0.85), tint * 0.8)
    light = _fill(canvas, [np.array([[-0.09, -0.25], [-0.06, -0.27], [-0.04, 0.1], [-0.07, 0.12]])])
    canvas.paint(light * 0.9, (255, 255, 255))
    if rng.random() < 0.5:  # liquid: more opaque and coloured
        liquid = _fill(canvas, [np.array([[-0.125, 0.41], [-0.125, 0.1], [0.125, 0.1], [0.125, 0.41]])])
        canvas.paint(liquid * inside * 0.7, rng.integers(60, 200, 3))


def _product(canvas: _Canvas, rng) -> None:
    picture = _picture(("coffee", "rocket", "astronaut")[rng.integers(3)], canvas.width, canvas.height)
    if rng.random() < 0.5:  # a box in perspective
        front = np.array([[-0.25, -0.2], [0.1, -0.25], [0.1, 0.35], [-0.25, 0.32]])
        side = np.array([[0.1, -0.25], [0.28, -0.18], [0.28, 0.3], [0.1, 0.35]])
        top = np.array([[-0.25, -0.2], [-0.05, -0.3], [0.28, -0.18], [0.1, -0.25]])
        canvas.paint(_fill(canvas, [front]), picture)
        canvas.paint(_fill(canvas, [side]), picture * 0.6)
        canvas.paint(_fill(canvas, [top]), np.clip(picture * 1.2 + 30, 0, 255))
    else:  # a jar with a lid and a label
        base = rng.integers(40, 230, 3)
        jar = np.concatenate([_ellipse(0, 0.3, 0.2, 0.05)[:120], _ellipse(0, -0.2, 0.2, 0.05)[120:]])
        canvas.paint(_fill(canvas, [jar]), _noise_colour(canvas, rng, base, 12))
        canvas.paint(_fill(canvas, [_ellipse(0, -0.23, 0.17, 0.06)]), rng.integers(20, 240, 3))
        label = np.array([[-0.2, -0.05], [0.2, -0.05], [0.2, 0.18], [-0.2, 0.18]])
        canvas.paint(_fill(canvas, [label]), picture)


def _plant(canvas: _Canvas, rng) -> None:
    stem_colour = np.array([90, 70, 40]) + rng.integers(-20, 20, 3)
    leaf = _noise_colour(
        canvas, rng, rng.choice(np.array([[60, 140, 50], [120, 170, 60], [170, 60, 60]])), 20
    )
    twigs, leaves = [], []
    stack = [((0.0, 0.45), -math.pi / 2, 0.35, 0)]
    while stack:
        start, angle, length, depth = stack.pop()
        curve = _curve(start, angle, length, rng.normal(0, 0.2), n=10)
        twigs.append((curve, max(1, round(canvas.unit / 400 * (4 - depth)))))
        if depth < 3:
            for _ in range(rng.integers(2, 4)):
                point = curve[rng.integers(4, 10)]
                stack.append(
                    (point, angle + rng.uniform(-0.9, 0.9), length * rng.uniform(0.45, 0.7), depth + 1)
                )
        else:
            for _ in range(rng.integers(2, 5)):
                point = curve[rng.integers(2, 10)]
                size = rng.uniform(0.02, 0.05)
                leaves.append(
                    _ellipse(point[0], point[1], size, size * 0.4, n=60, angle=rng.uniform(0, np.pi))
                )
    layer = canvas.layer()
    for curve, thickness in twigs:
        cv2.polylines(layer, [canvas.pts(curve)], False, 255, thickness, cv2.LINE_AA, 4)
    canvas.paint(_coverage(layer), stem_colour)
    canvas.paint(_fill(canvas, leaves), leaf)


def _lace(canvas: _Canvas, rng) -> None:
    colour = rng.choice(np.array([[245, 245, 240], [20, 20, 25], [180, 20, 40]]))
    canvas.paint(
        _fill(canvas, [_ellipse(0, 0, 0.36, 0.36)]) - _fill(canvas, [_ellipse(0, 0, 0.3, 0.3)]), colour
    )
    mesh = canvas.layer()
    step = max(6, canvas.unit // 45)
    for offset in range(-canvas.height, canvas.width, step):  # diagonal threads
        cv2.line(mesh, (offset, 0), (offset + canvas.height, canvas.height), 255, 1, cv2.LINE_AA)
        cv2.line(mesh, (offset + canvas.height, 0), (offset, canvas.height), 255, 1, cv2.LINE_AA)
    disc = _fill(canvas, [_ellipse(0, 0, 0.3, 0.3)])
    veil = 0.25 + 0.1 * rng.random()
    canvas.paint(disc * np.maximum(_coverage(mesh, 0.9), veil), colour)
    flowers = [_ellipse(*rng.uniform(-0.2, 0.2, 2), r := rng.uniform(0.02, 0.05), r, n=40) for _ in range(8)]
    canvas.paint(_fill(canvas, flowers), colour)


def _horse(canvas: _Canvas, rng) -> None:
    """scikit-image's horse: a black silhouette on white, its darkness taken as coverage."""
    from skimage import data

    grey = np.asarray(Image.open(Path(data.__file__).with_name("horse.png")).convert("L"), np.float32)
    side = rng.uniform(0.65, 0.85) * canvas.unit
    scale = side / max(grey.shape)
    size = (round(grey.shape[1] * scale), round(grey.shape[0] * scale))
    coverage = np.zeros((canvas.height, canvas.width), np.float32)
    top, left = (canvas.height - size[1]) // 2, (canvas.width - size[0]) // 2
    coverage[top : top + size[1], left : left + size[0]] = (
        1 - cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR) / 255
    )
    canvas.paint(
        coverage,
        _noise_colour(canvas, rng, rng.choice(np.array([[120, 75, 40], [60, 50, 45], [200, 190, 170]])), 25),
    )


def _bicycle(canvas: _Canvas, rng) -> None:
    """Two spoked wheels and a frame of tubes: thin structure with the background seen through."""
    metal = rng.choice(np.array([[200, 30, 30], [30, 30, 35], [220, 220, 225], [30, 90, 200]]))
    tyre, spoke = max(3, canvas.unit // 70), 1
    hubs = [(-0.27, 0.12), (0.27, 0.12)]
    layer = canvas.layer()
    for cx, cy in hubs:
        rim = _ellipse(cx, cy, 0.19, 0.19, n=180)
        cv2.polylines(layer, [canvas.pts(rim)], True, 255, tyre, cv2.LINE_AA, 4)
    canvas.paint(_coverage(layer), (25, 25, 25))
    spokes = canvas.layer()
    for cx, cy in hubs:
        for a in np.linspace(0, 2 * np.pi, 32, endpoint=False) + rng.uniform(0, 0.2):
            ends = np.array([[cx, cy], [cx + 0.185 * math.cos(a), cy + 0.185 * math.sin(a)]])
            cv2.polylines(spokes, [canvas.pts(ends)], False, 255, spoke, cv2.LINE_AA, 4)
    canvas.paint(_coverage(spokes, 0.9), (190, 190, 195))
    frame = canvas.layer()
    joints = np.array([[-0.27, 0.12], [-0.05, 0.12], [0.15, -0.15], [-0.12, -0.15], [-0.27, 0.12]])
    tubes = [
        joints,
        np.array([[-0.05, 0.12], [-0.12, -0.15], [-0.14, -0.22]]),
        np.array([[0.15, -0.15], [0.27, 0.12]]),
        np.array([[0.15, -0.15], [0.13, -0.24], [0.2, -0.26]]),
        np.array([[-0.2, -0.23], [-0.08, -0.23]]),
    ]
    cv2.polylines(
        frame, [canvas.pts(t) for t in tubes], False, 255, max(3, canvas.unit // 90), cv2.LINE_AA, 4
    )
    canvas.paint(_coverage(frame), _noise_colour(canvas, rng, metal, 10))


_SUBJECT_DRAWERS = {
    "fur": _fur,
    "hair": _hair,
    "feather": _feather,
    "glass": _glass,
    "product": _product,
    "plant": _plant,
    "lace": _lace,
    "horse": _horse,
    "bicycle": _bicycle,
}


def _subject_sources(subject: str) -> tuple[str, ...]:
    if subject == "product":
        return ("coffee", "rocket", "astronaut")
    return ("horse",) if subject == "horse" else ()


def _background_source(background: str, seed: int) -> tuple[str, ...]:
    if background.startswith("photo"):
        return (_PHOTOS[seed % len(_PHOTOS)],)
    return (_TEXTURES[seed % len(_TEXTURES)],) if background == "texture" else ()


def _background(spec: Spec, rng) -> np.ndarray:
    width, height = spec.width, spec.height
    if spec.background.startswith("photo"):
        picture = _picture(_PHOTOS[spec.seed % len(_PHOTOS)], width, height).astype(np.float32)
        if spec.background == "photo_blur":
            sigma = min(width, height) / 120
            picture = cv2.GaussianBlur(picture, (0, 0), sigma)
        return picture
    if spec.background == "texture":
        tint = rng.uniform(0.5, 1.3, 3)
        return _picture(_TEXTURES[spec.seed % len(_TEXTURES)], width, height, tuple(tint)).astype(np.float32)
    colour = np.asarray(_STUDIO[(spec.seed // 1000) % len(_STUDIO)], np.float32)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.hypot(x / width - 0.5, y / height - 0.5)
    return np.broadcast_to(colour, (height, width, 3)) * (1.05 - 0.35 * r)[..., None]


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[..., ::-1])
