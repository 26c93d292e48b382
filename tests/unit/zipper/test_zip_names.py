from zipper.names import zip_names


def test_names_are_flat_and_safe():
    names = zip_names(
        [
            "../../etc/passwd",
            "/abs/photo.JPG",
            "C:\\Users\\me\\shot.webp",
            "tab\there\x07.png",
            "..",
            ".hidden",
        ]
    )
    assert names == ["passwd.png", "photo.png", "shot.png", "tab_here.png", "image-5.png", "hidden.png"]
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(ord(c) >= 32 for c in name)


def test_duplicates_get_numbered_case_insensitively():
    assert zip_names(["a.png", "A.jpg", "a.webp", "a (2).png", "b"]) == [
        "a.png",
        "A (2).png",
        "a (3).png",
        "a (2) (2).png",
        "b.png",
    ]


def test_every_name_ends_in_the_output_extension():
    names = zip_names(["x.jpeg", "y", "z.tar.gz", "", "w."], extension=".webp")
    assert names == ["x.webp", "y.webp", "z.tar.webp", "image-4.webp", "w.webp"]


def test_long_names_are_cut():
    (name,) = zip_names(["n" * 500 + ".jpg"])
    assert name == "n" * 100 + ".png"
