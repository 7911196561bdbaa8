# Uploaded scans arrive with the policy-update request issue; storage is configured in settings
# (STORAGES["private"]): a folder under var/ or an S3 bucket, never a public URL.
