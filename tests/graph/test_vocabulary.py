"""The built-in vocabulary is data that several people edit at once; these tests keep it
consistent, because a single alias shared by two entries silently merges two pages
(the index keeps the first owner) and a look-alike merge (Glue vs Glue DataBrew) is the
mistake a certification learner can least afford.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from graph.matcher import Matcher
from graph.textkey import key
from graph.vocabulary import Term, Vocabulary, builtin_dir, load_vocabulary

SERVICE_CATEGORIES = frozenset({
    "ml-platform", "ai-service", "generative-ai", "storage", "database", "analytics",
    "streaming", "compute", "containers", "monitoring", "security", "networking",
    "dev-tools", "integration", "management",
})

# Pairs a learner must tell apart: each side must resolve to its own entry.
LOOK_ALIKES = [
    ("AWS Glue", "AWS Glue DataBrew"),
    ("AWS Glue", "AWS Glue Data Catalog"),
    ("Amazon Lookout for Metrics", "Amazon Lookout for Vision"),
    ("Amazon Lookout for Metrics", "Amazon Lookout for Equipment"),
    ("Amazon Lookout for Vision", "Amazon Lookout for Equipment"),
    ("Amazon Q", "Amazon Q Business"),
    ("Amazon Q", "Amazon Q Developer"),
    ("Amazon Q Business", "Amazon Q Developer"),
    ("Amazon Q", "Amazon Q in QuickSight"),
    ("Amazon FSx", "Amazon FSx for Lustre"),
    ("Amazon FSx for Lustre", "Amazon FSx for NetApp ONTAP"),
    ("SageMaker Pipelines", "CodePipeline"),
    ("Amazon CloudWatch", "Amazon CloudWatch Logs"),
    ("Amazon CloudWatch", "CloudWatch Alarms"),
    ("Amazon Kinesis Data Streams", "Amazon Data Firehose"),
    ("Kinesis Data Streams", "Kinesis Video Streams"),
    ("SageMaker Ground Truth", "SageMaker Ground Truth Plus"),
    ("SageMaker Studio", "SageMaker Studio Lab"),
    ("Amazon Comprehend", "Amazon Comprehend Medical"),
    ("SageMaker Endpoint", "Multi-Model Endpoints"),
    ("SageMaker Endpoint", "Serverless Inference"),
    ("SageMaker Profiler", "CodeGuru Profiler"),
    ("Amazon Bedrock", "Amazon Bedrock Guardrails"),
    ("SageMaker Model Monitor", "Amazon CloudWatch"),
    ("Amazon Q Developer", "Amazon CodeWhisperer"),
]

# Words that would fire inside unrelated prose or that name two things at once. No
# service may declare them as an alias; the AWS-prefixed full name is the only way in.
FORBIDDEN_SERVICE_ALIASES = [
    "Ground Truth", "グラウンドトゥルース", "Pipelines", "Pipeline", "パイプライン", "Lookout",
    "Q", "Glue Data", "Config", "Batch", "Budgets", "Artifact", "Inspector", "Shield", "Neo",
    "Clarify", "Debugger", "Canvas", "Translate", "Forecast", "Personalize", "Organizations",
    "Backup", "Studio", "Experiments", "Endpoint", "Data Catalog", "Crawler", "Guardrails",
    "Agents", "Knowledge Bases", "ナレッジベース",
]
# These must not even be the key of an entry's own name.
FORBIDDEN_NAME_KEYS = ["Ground Truth", "グラウンドトゥルース", "Pipelines", "Lookout", "Glue Data", "Neo"]


def vocab_files() -> list[Path]:
    return sorted(p for p in builtin_dir().glob("*.yml") if p.name != "cues.yml")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def services(vocab: Vocabulary) -> list[Term]:
    return [t for t in vocab.terms if t.kind == "service"]


def owners(terms: list[Term] | tuple[Term, ...]) -> dict[str, set[str]]:
    """Alias key to the canonical names of every entry that claims it."""
    out: dict[str, set[str]] = defaultdict(set)
    for term in terms:
        for form in (term.name, *term.aliases):
            k = key(form)
            if k:
                out[k].add(term.name)
    return out


def test_services_file_is_loaded_and_broad(services: list[Term]) -> None:
    assert "services.yml" in {p.name for p in vocab_files()}
    assert len(services) >= 200, len(services)


def test_every_file_parses_with_entries() -> None:
    for path in vocab_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data.get("kind") in ("service", "concept"), path.name
        assert isinstance(data.get("entries"), list) and data["entries"], path.name


def test_no_alias_key_shared_by_two_entries(vocab: Vocabulary) -> None:
    shared = {k: sorted(names) for k, names in owners(vocab.terms).items() if len(names) > 1}
    assert not shared, f"alias keys claimed by several entries: {shared}"


def test_no_duplicate_canonical_names(vocab: Vocabulary) -> None:
    seen: dict[str, int] = defaultdict(int)
    for term in vocab.terms:
        seen[term.name] += 1
    assert not {n: c for n, c in seen.items() if c > 1}


def test_services_do_not_collide_with_concepts() -> None:
    """The concepts file is written separately; when present, no key may cross files."""
    concepts = builtin_dir() / "concepts.yml"
    if not concepts.exists():
        pytest.skip("graph/vocab/concepts.yml does not exist yet")
    vocab = load_vocabulary()
    by_key = owners(vocab.terms)
    kinds = {t.name: t.kind for t in vocab.terms}
    crossing = {k: sorted(n) for k, n in by_key.items() if len({kinds[x] for x in n}) > 1}
    assert not crossing, f"keys shared by a service and a concept: {crossing}"


def test_every_parent_exists_and_is_not_self(vocab: Vocabulary) -> None:
    names = {t.name for t in vocab.terms}
    bad = {t.name: t.parent for t in vocab.terms if t.parent and (t.parent not in names or t.parent == t.name)}
    assert not bad, f"parents that name no entry: {bad}"


def test_parent_chains_have_no_cycle(vocab: Vocabulary) -> None:
    parent = {t.name: t.parent for t in vocab.terms if t.parent}
    for start in parent:
        seen = {start}
        node = parent.get(start, "")
        while node:
            assert node not in seen, f"parent cycle through {start}"
            seen.add(node)
            node = parent.get(node, "")


def test_service_categories_are_allowed(services: list[Term]) -> None:
    bad = {t.name: t.category for t in services if t.category not in SERVICE_CATEGORIES}
    assert not bad, f"unknown categories: {bad}"


def test_every_service_is_described(services: list[Term]) -> None:
    assert not [t.name for t in services if len(t.description) < 10]


def test_sagemaker_features_hang_under_sagemaker(services: list[Term]) -> None:
    by_name = {t.name: t for t in services}
    features = [t for t in services if t.name.startswith("Amazon SageMaker ")]
    assert len(features) >= 40
    assert all(t.parent == "Amazon SageMaker" for t in features), \
        [t.name for t in features if t.parent != "Amazon SageMaker"]
    assert by_name["Amazon SageMaker"].parent == ""


@pytest.mark.parametrize(("left", "right"), LOOK_ALIKES)
def test_look_alikes_resolve_to_different_entries(vocab: Vocabulary, left: str, right: str) -> None:
    index = vocab.index()
    a, b = index.get(key(left)), index.get(key(right))
    assert a is not None and b is not None, (left, right)
    assert a.kind == b.kind == "service"
    assert a.name != b.name


def test_look_alikes_stay_apart_in_running_text(vocab: Vocabulary) -> None:
    """The matcher is longest-first, so each look-alike in a sentence is its own hit."""
    aliases = {form: t.name for t in vocab.terms for form in (t.name, *t.aliases)}
    matcher = Matcher(aliases)
    text = ("SageMaker Pipelines と CodePipeline の違い、AWS Glue DataBrew と AWS Glue、"
            "Amazon Q Business と Amazon Q Developer、FSx for Lustre と Amazon FSx、"
            "CloudWatch Logs と CloudWatch、Lookout for Vision と Lookout for Equipment。")
    found = [h.entity for h in matcher.find(text)]
    assert found == [
        "Amazon SageMaker Pipelines", "AWS CodePipeline", "AWS Glue DataBrew", "AWS Glue",
        "Amazon Q Business", "Amazon Q Developer", "Amazon FSx for Lustre", "Amazon FSx",
        "Amazon CloudWatch Logs", "Amazon CloudWatch", "Amazon Lookout for Vision",
        "Amazon Lookout for Equipment",
    ]


def test_ambiguous_forms_are_not_service_aliases(services: list[Term]) -> None:
    forbidden = {key(f): f for f in FORBIDDEN_SERVICE_ALIASES}
    bad = [(t.name, a) for t in services for a in t.aliases if key(a) in forbidden]
    assert not bad, f"ambiguous or ordinary words used as service aliases: {bad}"
    names = {key(f) for f in FORBIDDEN_NAME_KEYS}
    assert not [t.name for t in services if key(t.name) in names]


def test_bare_ground_truth_is_not_the_labelling_service(vocab: Vocabulary) -> None:
    index = vocab.index()
    for form in ("Ground Truth", "グラウンドトゥルース", "ground truth"):
        term = index.get(key(form))
        assert term is None or term.kind != "service", (form, term)
    assert index[key("SageMaker Ground Truth")].name == "Amazon SageMaker Ground Truth"
    assert index[key("Amazon SageMaker Ground Truth")].name == "Amazon SageMaker Ground Truth"


def test_seed_surface_forms_resolve(vocab: Vocabulary) -> None:
    """Spellings a Japanese learner writes reach the entry a reader expects."""
    index = vocab.index()
    expected = {
        "Amazon S3": "Amazon S3", "S3": "Amazon S3", "エンドポイント": "Amazon SageMaker Endpoint",
        "データキャプチャ": "Amazon SageMaker Data Capture", "特徴量ストア": "Amazon SageMaker Feature Store",
        "フィーチャーストア": "Amazon SageMaker Feature Store", "トレーニングジョブ": "Amazon SageMaker Training",
        "Training Job": "Amazon SageMaker Training", "SageMaker Experiment": "Amazon SageMaker Experiments",
        "モデルモニター": "Amazon SageMaker Model Monitor", "A2I": "Amazon Augmented AI",
        "KDS": "Amazon Kinesis Data Streams", "MSK": "Amazon Managed Streaming for Apache Kafka",
        "IAM": "AWS Identity and Access Management", "Boto3": "AWS SDK for Python (Boto3)",
        "Amazon Elastic Kubernetes Service": "Amazon Elastic Kubernetes Service",
        "EKS": "Amazon Elastic Kubernetes Service", "FSx for ONTAP": "Amazon FSx for NetApp ONTAP",
        "マルチモデルエンドポイント": "Amazon SageMaker Multi-Model Endpoints",
        "VPC エンドポイント": "Amazon VPC Endpoints",
    }
    wrong = {form: (index[key(form)].name if key(form) in index else None)
             for form, name in expected.items()
             if key(form) not in index or index[key(form)].name != name}
    assert not wrong, wrong
