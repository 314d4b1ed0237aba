"""The option-collection hash and the reference-data signature, checked against Treeherder's output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from apps.jobs.models import OptionCollection, ReferenceDataSignatures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "treeherder"


def test_option_collection_hash_matches_treeherder_for_every_known_collection() -> None:
    known = json.loads((FIXTURES / "optionCollectionMap.json").read_text())
    assert len(known) > 30
    for expected_hash, option_names in known.items():
        # The map joins a collection's option names with commas, e.g. "debug,memleak".
        assert OptionCollection.calculate_hash(option_names.split(",")) == expected_hash, option_names


def test_option_collection_hash_is_order_independent() -> None:
    # Sorted names concatenated with no separator: {opt, asan} hashes "asanopt".
    expected = hashlib.sha1(b"asanopt").hexdigest()
    assert OptionCollection.calculate_hash(["opt", "asan"]) == expected
    assert OptionCollection.calculate_hash(["asan", "opt"]) == expected


def test_signature_matches_treeherder_for_a_served_job() -> None:
    job = json.loads((FIXTURES / "full_job.json").read_text())

    signature = ReferenceDataSignatures.calculate_signature(
        build_system_type=job["build_system_type"],
        repository="try",  # from the job's resource_uri, /api/project/try/jobs/...
        build_platform=(job["build_os"], job["build_platform"], job["build_architecture"]),
        machine_platform=(job["machine_platform_os"], job["platform"], job["machine_platform_architecture"]),
        job_group=(job["job_group_name"], job["job_group_symbol"]),
        job_type=(job["job_type_name"], job["job_type_symbol"]),
        option_collection_hash=job["option_collection_hash"],
    )

    assert signature == job["signature"] == "6fa22307f1f7d626d29a1adc4b49ea470569702c"


def test_signature_changes_with_every_field() -> None:
    base = {
        "build_system_type": "taskcluster",
        "repository": "autoland",
        "build_platform": ("linux", "linux64", "x86_64"),
        "machine_platform": ("linux", "linux64", "x86_64"),
        "job_group": ("Mochitests", "M"),
        "job_type": ("test-linux64/opt-mochitest-1", "M1"),
        "option_collection_hash": OptionCollection.calculate_hash(["opt"]),
    }
    reference = ReferenceDataSignatures.calculate_signature(**base)  # type: ignore[arg-type]
    variants = [
        {"build_system_type": "buildbot"},
        {"repository": "try"},
        {"build_platform": ("linux", "linux32", "x86_64")},
        {"machine_platform": ("linux", "linux64", "aarch64")},
        {"job_group": ("Mochitests", "M-e10s")},
        {"job_type": ("test-linux64/opt-mochitest-2", "M1")},
        {"option_collection_hash": OptionCollection.calculate_hash(["debug"])},
        {"reference_data_name": "a buildbot builder"},
    ]
    for change in variants:
        assert ReferenceDataSignatures.calculate_signature(**{**base, **change}) != reference, change  # type: ignore[arg-type]
