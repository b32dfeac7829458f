import os

# Nothing in these tests may reach a model hub: everything they load is built or bundled.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
