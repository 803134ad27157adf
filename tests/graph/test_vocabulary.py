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


@pytest.fixture(scope="module")
def matcher(vocab: Vocabulary) -> Matcher:
    """Every name and alias of the built-in vocabulary, as the extractor matches them."""
    return Matcher({form: t.name for t in vocab.terms for form in (t.name, *t.aliases)})


def test_look_alikes_stay_apart_in_running_text(matcher: Matcher) -> None:
    """The matcher is longest-first, so each look-alike in a sentence is its own hit."""
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


# --------------------------------------------------------------------------- concepts
CONCEPT_CATEGORIES = frozenset({
    "evaluation-metric", "data-preparation", "feature-engineering", "data-quality", "training",
    "tuning", "algorithm", "model-type", "deep-learning", "nlp", "computer-vision", "time-series",
    "generative-ai", "mlops", "deployment", "responsible-ai", "statistics", "security-governance",
    "learning-paradigm",
})

# Spellings a learner mixes freely; each group must land on one concept entry.
CONCEPT_SYNONYMS = [
    ("過学習", "Overfitting", "オーバーフィッティング", "過剰適合"),
    ("再現率", "Recall", "リコール", "感度", "Sensitivity"),
    ("真陽性率", "TPR", "True Positive Rate"),
    ("適合率", "Precision", "プレシジョン"),
    ("正解率", "Accuracy", "精度"),
    ("ローリングデプロイ", "Rolling", "Rolling Deployment", "In-Place"),
    ("データドリフト", "Data Drift"),
    ("コンセプトドリフト", "Concept Drift", "概念ドリフト"),
    ("モデルドリフト", "Model Drift", "モデル品質の劣化"),
    ("特徴量帰属ドリフト", "Feature Attribution Drift"),
    ("正規化", "Normalization", "Min-Max スケーリング"),
    ("標準化", "Standardization", "Zスコア正規化"),
    ("異常検出", "異常検知", "Anomaly Detection"),
    ("グリッドサーチ", "グリッド検索", "Grid Search"),
    ("ランダムサーチ", "ランダム検索", "Random Search"),
    ("ベイズ最適化", "Bayesian Optimization"),
    ("正解ラベル", "正解データ", "Ground Truth", "グラウンドトゥルース", "ground truth labels"),
    ("k近傍法", "k-NN", "KNN"),
    ("カナリアデプロイ", "カナリアリリース", "Canary"),
    ("AUC", "AUC-ROC", "ROC 曲線下面積"),
    ("決定係数", "R²", "R-squared"),
]

# Pairs that look alike but are different things; merging them teaches the wrong lesson.
CONCEPT_LOOK_ALIKES = [
    ("データドリフト", "コンセプトドリフト"), ("データドリフト", "モデルドリフト"),
    ("コンセプトドリフト", "モデルドリフト"), ("特徴量帰属ドリフト", "バイアスドリフト"),
    ("データドリフト", "データ品質"), ("正規化", "標準化"), ("Min-Max スケーリング", "Zスコア正規化"),
    ("バッチ正規化", "正規化"), ("適合率", "再現率"), ("AUC", "ROC 曲線"), ("偽陽性", "偽陽性率"),
    ("L1 正則化", "L2 正則化"), ("All at once", "Canary"), ("Canary", "Linear Traffic Shifting"),
    ("Canary", "Rolling Deployment"), ("ブルーグリーンデプロイ", "カナリアデプロイ"),
    ("A/Bテスト", "シャドウテスト"), ("リアルタイム推論", "バッチ推論"),
    ("Isolation Forest", "Random Cut Forest"), ("LDA", "線形判別分析"),
    ("Zero-shot", "Few-shot"), ("Top-p", "Top-k"), ("転移学習", "ファインチューニング"),
    ("説明可能性", "解釈可能性"), ("バイアス", "バイアス-バリアンストレードオフ"),
    ("データ並列", "モデル並列"), ("教師あり学習", "半教師あり学習"),
    ("継続的インテグレーション", "継続的デリバリー"), ("特徴量重要度", "特徴量帰属"),
    ("線形モデル", "一般化線形モデル"), ("Linear Learner", "線形回帰"),
]

# Everyday or two-faced words: as a concept alias they would fire inside unrelated prose.
FORBIDDEN_CONCEPT_ALIASES = [
    "モデル", "データ", "学習", "推論", "分散", "要約", "スケーリング", "遅延", "閾値", "しきい値",
    "多様性", "損失", "特徴", "ラベル", "温度", "翻訳", "Linear", "Feature", "Model", "Data", "CV",
    "mAP", "SSD", "FM", "Threshold", "Availability", "Benchmark",
]


def concept_entries() -> list[dict[str, object]]:
    data = yaml.safe_load((builtin_dir() / "concepts.yml").read_text(encoding="utf-8"))
    assert data["kind"] == "concept"
    entries: list[dict[str, object]] = data["entries"]
    return entries


def entry_forms(entry: dict[str, object]) -> list[str]:
    aliases = entry.get("aliases") or []
    assert isinstance(aliases, list), entry["name"]
    return [str(entry["name"]), *(str(a) for a in aliases)]


def test_concepts_are_broad_and_use_allowed_categories() -> None:
    entries = concept_entries()
    assert len(entries) >= 300, len(entries)
    bad = {str(e["name"]): e.get("category") for e in entries if e.get("category") not in CONCEPT_CATEGORIES}
    assert not bad, f"unknown concept categories: {bad}"
    per_category: dict[str, int] = defaultdict(int)
    for e in entries:
        per_category[str(e["category"])] += 1
    assert set(per_category) == CONCEPT_CATEGORIES, CONCEPT_CATEGORIES - set(per_category)
    assert min(per_category.values()) >= 5, dict(per_category)


def test_every_concept_has_a_short_japanese_description() -> None:
    """Entity pages and map tooltips show the description; like services.yml it is one
    defining sentence, optionally followed by the one point a learner must remember."""
    bad = []
    for e in concept_entries():
        text = str(e.get("description") or "")
        japanese = any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)
        if not (japanese and text.endswith("。") and text.count("。") <= 2 and 10 <= len(text) <= 90):
            bad.append(e["name"])
    assert not bad, bad


def test_concept_parents_are_concepts(vocab: Vocabulary) -> None:
    kinds = {t.name: t.kind for t in vocab.terms}
    bad = {str(e["name"]): e["parent"] for e in concept_entries()
           if e.get("parent") and kinds.get(str(e["parent"])) != "concept"}
    assert not bad, bad


@pytest.mark.parametrize("forms", CONCEPT_SYNONYMS, ids=lambda forms: forms[0])
def test_concept_spellings_resolve_to_one_entry(vocab: Vocabulary, forms: tuple[str, ...]) -> None:
    index = vocab.index()
    found = {form: index[key(form)].name if key(form) in index else None for form in forms}
    assert set(found.values()) == {forms[0]}, found
    assert index[key(forms[0])].kind == "concept"


@pytest.mark.parametrize(("left", "right"), CONCEPT_LOOK_ALIKES)
def test_concept_look_alikes_stay_apart(vocab: Vocabulary, left: str, right: str) -> None:
    index = vocab.index()
    a, b = index.get(key(left)), index.get(key(right))
    assert a is not None and b is not None, (left, right)
    assert a.kind == b.kind == "concept"
    assert a.name != b.name, (left, right, a.name)


def test_concept_look_alikes_stay_apart_in_running_text(matcher: Matcher) -> None:
    """Longest-first matching keeps Zスコア正規化 away from 正規化 and the service's full
    name away from the bare concept word."""
    text = ("データドリフトとコンセプトドリフトは別物で、モデルドリフトは品質の劣化を指す。"
            "Zスコア正規化 (標準化) と Min-Max 正規化 (正規化) を区別する。"
            "SageMaker Ground Truth で付けた Ground Truth をバッチ正規化と混同しない。")
    found = [h.entity for h in matcher.find(text)]
    assert found == [
        "データドリフト", "コンセプトドリフト", "モデルドリフト", "標準化", "標準化", "正規化", "正規化",
        "Amazon SageMaker Ground Truth", "正解ラベル", "バッチ正規化",
    ], found


def test_ground_truth_concept_and_labelling_service_are_different(vocab: Vocabulary) -> None:
    index = vocab.index()
    concept = index[key("Ground Truth")]
    service = index[key("SageMaker Ground Truth")]
    assert (concept.name, concept.kind) == ("正解ラベル", "concept")
    assert (service.name, service.kind) == ("Amazon SageMaker Ground Truth", "service")


def test_everyday_words_are_not_concept_aliases() -> None:
    forbidden = {key(f): f for f in FORBIDDEN_CONCEPT_ALIASES}
    bad = [(str(e["name"]), form) for e in concept_entries() for form in entry_forms(e) if key(form) in forbidden]
    assert not bad, f"everyday or ambiguous words used as concept aliases: {bad}"


def test_short_latin_concept_aliases_are_upper_case_abbreviations() -> None:
    """"TP" or "F1" are established; a lower-case two-letter form would fire on any token."""
    bad = []
    for e in concept_entries():
        for form in entry_forms(e):
            shown = form.replace("²", "2")
            if key(form).isascii() and len(key(form)) <= 2 and shown != shown.upper():
                bad.append((e["name"], form))
    assert not bad, bad


def test_vendor_words_come_from_the_cue_file_and_drive_names_and_service_phrases() -> None:
    """Which words are vendors is data (cues.yml), not code: every listed vendor is dropped
    from name keys, kept in a mention's surface, and starts a service phrase."""
    from graph.entities import SERVICE_HEAD, SERVICE_PHRASE
    from graph.vendors import vendor_words

    listed = yaml.safe_load((builtin_dir() / "cues.yml").read_text(encoding="utf-8"))["vendors"]
    words = vendor_words()
    assert list(words.vendors) == listed and listed
    for vendor in listed:
        assert key(f"{vendor} Lake Formation") == key("Lake Formation")
        assert SERVICE_PHRASE.search(f"ここで {vendor} Lake Formation を使う").group() == f"{vendor} Lake Formation"
        assert SERVICE_HEAD.match(f"{vendor} Lake Formation")
        hit = Matcher({"Lake Formation": "lf"}).find(f"まず {vendor} Lake Formation を設定")[0]
        assert hit.surface == f"{vendor} Lake Formation"
    for family in words.families:
        assert SERVICE_HEAD.match(f"{family} Foo")
    assert key("Azure Synapse") != key("Synapse")  # not a vendor until the cue file says so
