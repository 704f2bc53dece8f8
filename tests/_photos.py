"""Real photographs, the ones scikit-learn and scikit-image ship: covers nobody drew, for tests that want real
colours. Used by test_colornames.py and test_reports_any_corpus.py."""

from __future__ import annotations

from PIL import Image

#: scikit-learn's two sample photographs.
SKLEARN_PHOTOS = ("china", "flower")
#: scikit-image's colour pictures (its greyscale ones are left out).
SKIMAGE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "hubble_deep_field",
    "logo",
)


def real_photos() -> list[Image.Image]:
    """The eleven photographs as RGB images, always in this order: scikit-learn's two, then scikit-image's nine."""
    from skimage import data as skdata  # imported here: collecting the tests stays quick
    from sklearn.datasets import load_sample_image

    photos = [Image.fromarray(load_sample_image(f"{n}.jpg")) for n in SKLEARN_PHOTOS]
    photos += [Image.fromarray(getattr(skdata, n)()).convert("RGB") for n in SKIMAGE_PHOTOS]
    return photos
