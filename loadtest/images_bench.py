"""What re-encoding does to camera-sized photos: bytes sent, bytes kept, time per image.

    .venv/bin/python -m loadtest.images_bench [--images 8]

Makes a set of photo-like images at the sizes phone and camera sensors produce (12, 24
and 48 megapixels), saved as a camera saves them (JPEG quality 95, 4:4:4 chroma, EXIF with
a maker, a model and a GPS position), then runs each through `surveys.files.receive`, the
code a file question's answer goes through: decoded within the pixel limit, turned
upright, re-encoded from its pixels only, downscaled to UPLOAD_IMAGE_MAX_SIDE (2048) and
thumbnailed. The images are synthetic (no photos ship with Canvass): gradients, shapes,
texture at several scales (so detail survives downscaling, as a real scene's does) and
sensor-like noise, which is what makes camera files large. Prints a Markdown table for
docs/benchmarks.md.
"""

import argparse
import io
import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from surveys.files import receive  # noqa: E402

SIZES = [(4032, 3024), (6000, 4000), (8064, 6048)]  # 12, 24 and 48 megapixels


def photo(size, seed):
    """A photo-like image: a sky-to-ground gradient, some shapes, a little blur, noise."""
    rng = random.Random(seed)
    width, height = size
    sky = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, (rng.randrange(60, 200), rng.randrange(90, 200), 220))
    image = Image.blend(sky, tint, 0.55)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height // 3, height)
        r = rng.randrange(width // 40, width // 8)
        color = tuple(rng.randrange(30, 230) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
    image = image.filter(ImageFilter.GaussianBlur(3))
    # Texture at several scales (leaves, gravel, fabric), so detail survives downscaling
    # as a real scene's does; then the sensor's own fine noise.
    for scale, weight in ((8, 0.10), (4, 0.08), (2, 0.06)):
        small = (width // scale, height // scale)
        texture = Image.effect_noise(small, 60).resize(size, Image.Resampling.BICUBIC)
        image = Image.blend(image, texture.convert("RGB"), weight)
    return Image.blend(image, Image.effect_noise(size, 18).convert("RGB"), 0.08)


def camera_jpeg(image):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Bench Camera", "Model 1"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, subsampling=0, exif=exif)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=8)
    count = parser.parse_args().images
    rows = []
    for n in range(count):
        size = SIZES[n % len(SIZES)]
        sent = camera_jpeg(photo(size, seed=n))
        upload = SimpleUploadedFile(f"IMG_{n:04}.jpg", sent, "image/jpeg")
        started = time.perf_counter()
        kept = receive(upload, allowed=["image"], max_bytes=50 * 1024 * 1024)
        seconds = time.perf_counter() - started
        kept_size = Image.open(io.BytesIO(kept.content)).size
        rows.append((size, len(sent), len(kept.content), len(kept.thumbnail), seconds, kept_size))

    print("| image | sent | kept (long side 2048) | smaller by | thumbnail | time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (w, h), sent, kept, thumb, seconds, _ in rows:
        print(
            f"| {w}×{h} ({w * h / 1e6:.0f} MP) | {sent / 1e6:.1f} MB | {kept / 1e3:.0f} KB "
            f"| {sent / kept:.0f}× | {thumb / 1e3:.0f} KB | {seconds:.2f} s |"
        )
    total_sent, total_kept = sum(r[1] for r in rows), sum(r[2] for r in rows)
    median = statistics.median(r[4] for r in rows)
    print(
        f"| all {len(rows)} | {total_sent / 1e6:.1f} MB | {total_kept / 1e6:.2f} MB "
        f"| {total_sent / total_kept:.0f}× | | median {median:.2f} s |"
    )


if __name__ == "__main__":
    main()
