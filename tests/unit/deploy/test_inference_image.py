"""The inference image's one description: the Dockerfile is rendered from it, and the write
detector of `make image-check` reads strace's lines right."""

from scripts.image_check import writes_outside_tmp
from scripts.inference_image import DOCKERFILE, ROOT, Image


def test_the_dockerfile_is_rendered_from_the_description():
    assert DOCKERFILE.read_text() == Image.load().dockerfile()


def test_the_description_names_files_that_exist_and_the_template_runs_it_twice():
    from harness import TEMPLATE

    image = Image.load()
    assert all((ROOT / path).exists() for path in (*image.requirements, *image.code))
    functions = TEMPLATE.of_type("AWS::Serverless::Function")
    built = {k for k, f in functions.items() if f.get("Metadata", {}).get("Dockerfile")}
    assert built == {"LightInferenceFunction", "MattingInferenceFunction"}
    assert {functions[k]["Metadata"]["Dockerfile"] for k in built} == {str(DOCKERFILE.relative_to(ROOT))}


def test_writes_outside_tmp_are_found_and_reads_and_tmp_are_not():
    trace = "\n".join(
        [
            '12 openat(AT_FDCWD</var/task>, "/var/task/x/__pycache__/t", O_RDWR|O_CREAT|O_EXCL, 0600)'
            " = -1 EROFS (Read-only file system)",
            '12 openat(AT_FDCWD</var/task>, "/var/task/app.py", O_RDONLY|O_CLOEXEC) = 3</var/task/app.py>',
            '12 openat(AT_FDCWD</var/task>, "/tmp/out.png", O_WRONLY|O_CREAT, 0666) = 4</tmp/out.png>',
            '13 mkdir("/home", 0777) = -1 EROFS (Read-only file system)',
            '13 mkdir("/var/task/cutout", 0777) = -1 EEXIST (File exists)',
            '13 openat(5</opt/models>, "cache.bin", O_WRONLY|O_CREAT, 0644) = -1 EROFS',
            '13 unlink("relative.lock") = -1 EROFS (Read-only file system)',
            '13 openat(AT_FDCWD</var/task>, "/dev/null", O_WRONLY|O_CLOEXEC) = 3</dev/null>',
        ]
    )
    found = writes_outside_tmp(trace, cwd="/var/task")
    assert [line.split("(", 1)[1].split(",")[0].split(")")[0] for line in found] == [
        "AT_FDCWD</var/task>",
        '"/home"',
        "5</opt/models>",
        '"relative.lock"',
    ]
