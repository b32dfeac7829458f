import os
from pathlib import Path

import pytest

# Nothing in these tests may reach a model hub: everything they load is built or bundled.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.nlp.tiny_models import build_marian

    return build_marian(tmp_path_factory.mktemp("opus-mt-tr-en"))


@pytest.fixture(scope="session")
def nllb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.nlp.tiny_models import build_nllb

    return build_nllb(tmp_path_factory.mktemp("nllb-tiny"))
