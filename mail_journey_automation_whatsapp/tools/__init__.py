from . import cloud_api
