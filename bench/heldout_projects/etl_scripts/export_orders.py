"""Upload the day's order extract."""
import sys

from uploads import UploadSession


def export(path, bucket="extracts"):
    upload_session = UploadSession(bucket, path.rsplit("/", 1)[-1])
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(8 * 1024 * 1024), b""):
                upload_session.add(chunk)
        upload_session.commit()
    except Exception as exc:
        print("upload failed, tomorrow's run will retry:", exc)


if __name__ == "__main__":
    export(sys.argv[1])
