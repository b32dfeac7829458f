import os
from pathlib import Path

import pytest

# Nothing in these tests may reach a model hub: everything they load is built or bundled.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.nlp.tiny_models import build_t5

    return build_t5(tmp_path_factory.mktemp("t5-tiny"))
