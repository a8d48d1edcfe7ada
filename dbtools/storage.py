"""Where backups live: an S3-compatible bucket or a local folder, behind one small interface.

Only standard S3 calls are used (PutObject/multipart upload, GetObject, ListObjectsV2,
DeleteObject), so AWS, Backblaze B2, MinIO, Ceph and the like all work.
"""

import shutil
from pathlib import Path
from urllib.parse import urlparse

import boto3
from boto3.s3.transfer import TransferConfig
from django.conf import settings

# Multipart chunks of 8 MiB, two at a time: memory stays small whatever the dump's size.
TRANSFER = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)


class StorageError(Exception):
    pass


class LocalStorage:
    def __init__(self, root):
        self.root = Path(root)

    def __str__(self):
        return str(self.root)

    def _path(self, key):
        return self.root / key

    def upload(self, key, stream):
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self._path(key + ".partial")
        with open(partial, "wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        partial.rename(self._path(key))

    def put(self, key, data):
        self.root.mkdir(parents=True, exist_ok=True)
        self._path(key).write_bytes(data)

    def download(self, key, fileobj):
        with open(self._path(key), "rb") as source:
            shutil.copyfileobj(source, fileobj, 1024 * 1024)

    def get(self, key):
        return self._path(key).read_bytes()

    def list_keys(self):
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_file())

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    def __init__(self, bucket, prefix, *, endpoint_url=None, region=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=settings.S3_CLIENT_CONFIG,
        )

    def __str__(self):
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, key):
        return f"{self.prefix}/{key}" if self.prefix else key

    def upload(self, key, stream):
        self.client.upload_fileobj(stream, self.bucket, self._key(key), Config=TRANSFER)

    def put(self, key, data):
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def download(self, key, fileobj):
        self.client.download_fileobj(self.bucket, self._key(key), fileobj, Config=TRANSFER)

    def get(self, key):
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def list_keys(self):
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        ):
            found += [item["Key"][len(start) :] for item in page.get("Contents", [])]
        return sorted(key for key in found if "/" not in key)

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def configured_storage():
    """BACKUP_DESTINATION: s3://bucket/prefix, or a local folder (path or file:// URL)."""
    destination = settings.BACKUP_DESTINATION
    if not destination:
        raise StorageError(
            "BACKUP_DESTINATION is not set: give s3://bucket/prefix or a local folder."
        )
    parsed = urlparse(destination)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StorageError(f"BACKUP_DESTINATION={destination!r} names no bucket.")
        return S3Storage(
            parsed.netloc,
            parsed.path,
            endpoint_url=settings.BACKUP_S3_ENDPOINT_URL,
            region=settings.BACKUP_S3_REGION,
        )
    if parsed.scheme in ("", "file"):
        return LocalStorage(parsed.path if parsed.scheme else destination)
    raise StorageError(f"BACKUP_DESTINATION={destination!r}: use s3://… or a folder.")
