"""The journal's own words in Chinese; names from records untouched."""

from __future__ import annotations

from collections.abc import Callable

from journal.records import Record
from journal.render import build_posts
from journal.render.i18n import ZH, language, normalise, t
from journal.render.overview import render_overviews

Factory = Callable[..., Record]


def test_language_names() -> None:
    assert [normalise(x) for x in ("zh", "zh-CN", "zh_TW", "ZH", "en", "fr", None)] == [
        "zh", "zh", "zh", "zh", "en", "en", "en"]
    assert t("Hyperparameters") == "Hyperparameters"
    with language("zh"):
        assert t("Hyperparameters") == "超参数"
        assert t("mean ± std (n={n})", n=3) == "均值 ± 标准差（n=3）"
    assert t("Hyperparameters") == "Hyperparameters"  # back to English after the block


def test_every_template_keeps_its_placeholders() -> None:
    import re

    for english, chinese in ZH.items():  # Chinese may drop one ({variants}: 个变体), never add one
        assert set(re.findall(r"\{\w+\}", chinese)) <= set(re.findall(r"\{\w+\}", english)), english


def test_a_chinese_post_and_overview(make_record: Factory) -> None:
    records = [make_record(seed=0, variant="学生 + KD"), make_record(seed=1, variant="学生 + KD"),
               make_record(seed=2, variant="学生 + KD", status="failed", error="x")]
    with language("zh"):
        (post,) = build_posts(records)
        pages = render_overviews(records)
    md = post.markdown
    for label in ('??? info "超参数"',
                  "**混淆矩阵**", "**运行记录**", "| 运行 | 状态 |", "均值 ± 标准差（n=2）",
                  "状态：失败, 已完成。", "<th>真实 &#92; 预测</th>",
                  "test 集，检查点 last，第 3 轮；行为真实类别"):
        assert label in md, label
    assert "## 学生 + KD" in md and "Hyperparameters" not in md
    assert "# 实验" in pages[0].markdown and "最佳变体（测试）" in pages[0].markdown
    (english,) = build_posts(records)
    assert '??? info "Hyperparameters"' in english.markdown and "超参数" not in english.markdown


def test_every_label_the_library_prints_has_a_chinese_translation() -> None:
    import ast
    from pathlib import Path

    import journal

    missing = []
    for path in sorted(Path(journal.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and node.args[0].value not in ZH):
                missing.append(f"{path.name}: {node.args[0].value!r}")
    assert missing == []
