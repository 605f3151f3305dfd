"""ImageFolder and DatasetFolder: torchvision's class discovery, sample order and errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from glassnet.data.datasets import folder

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def tree(tmp_path):
    """root/cat/{a.png, b.JPG, notes.txt}, root/dog/{c.png, deeper/d.bmp}, root/empty/."""
    rng = np.random.default_rng(0)
    files = ["cat/a.png", "cat/b.JPG", "dog/c.png", "dog/deeper/d.bmp"]
    for rel in files:
        p = tmp_path / "root" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (4, 5), dtype=np.uint8)).save(
            p, format="PNG" if p.suffix.lower() == ".png" else None)
    (tmp_path / "root" / "cat" / "notes.txt").write_text("not an image")
    return tmp_path / "root"


def test_image_folder_classes_samples_and_loading(tree):
    ds = folder.ImageFolder(str(tree), allow_empty=True)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, tree) for p, _ in ds.samples]
    assert names == ["cat/a.png", "cat/b.JPG", "dog/c.png", "dog/deeper/d.bmp"]
    assert ds.imgs is ds.samples and ds.targets == [0, 0, 1, 1] and len(ds) == 4
    img, y = ds[3]
    assert img.mode == "RGB" and img.size == (5, 4) and y == 1


def test_empty_class_folder_is_an_error_unless_allowed(tree):
    (tree / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        folder.ImageFolder(tree)
    ds = folder.ImageFolder(tree, allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"] and len(ds) == 4


def test_missing_root_and_root_without_classes_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        folder.ImageFolder(tmp_path / "nowhere")
    (tmp_path / "flat").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in .*flat"):
        folder.ImageFolder(tmp_path / "flat")


def test_dataset_folder_with_a_loader_extensions_and_is_valid_file(tree):
    ds = folder.DatasetFolder(tree, loader=lambda p: os.path.basename(p), extensions=(".txt",),
                              allow_empty=True)
    assert [s for s, _ in ds] == ["notes.txt"]
    ds = folder.ImageFolder(tree, is_valid_file=lambda p: p.endswith(".png"))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["a.png", "c.png"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        folder.make_dataset(tree, {"cat": 0}, extensions=".png", is_valid_file=bool)


def test_transform_and_target_transform(tree):
    ds = folder.ImageFolder(tree, transform=lambda im: np.asarray(im).shape,
                            target_transform=lambda y: y * 10)
    assert ds[2] == ((4, 5, 3), 10)
    assert "Number of datapoints: 4" in repr(ds) and "Root location" in repr(ds)
