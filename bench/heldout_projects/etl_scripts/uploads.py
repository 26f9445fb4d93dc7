"""Multipart uploads of the nightly extracts to object storage."""
import boto3


class UploadSession:
    def __init__(self, bucket, key):
        self.client = boto3.client("s3")
        self.bucket, self.key = bucket, key
        self.upload_id = self.client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.parts = []

    def add(self, data):
        number = len(self.parts) + 1
        etag = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )["ETag"]
        self.parts.append({"PartNumber": number, "ETag": etag})

    def commit(self):
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )
