"""The words the journal itself writes on a page, in English or Chinese.

Renderers write English and pass each label or sentence template through :func:`t`; inside
``with language("zh"):`` it comes back in Chinese. Names from records (variants, classes, config
keys, notes) are never translated. The MkDocs plugin takes the language from its ``language``
option, else from the theme's (``theme.language: zh``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LANGUAGES = ("en", "zh")

ZH: dict[str, str] = {
    # summaries
    "{n} runs of {m} {variants} ({seeds} per variant)": "{n} 次运行，{m} 个变体（每个变体 {seeds} 个种子）",
    "variant": "变体",
    "variants": "变体",
    " on {data}": "，数据：{data}",
    "; status: {statuses}.": "；状态：{statuses}。",
    "{metric} (test)": "{metric}（测试）",
    "Each variant against {against}:": "各变体与{against}对比：",
    "the baseline, {name}": "基线 {name}",
    "the one before it": "前一个变体",
    "Sweep {id} over {keys}, seeds {seeds}:": "扫描 {id}，扫描参数 {keys}，种子 {seeds}：",
    "nothing": "无",
    # statuses
    "finished": "已完成",
    "running": "运行中",
    "failed": "失败",
    "interrupted": "已中断",
    "stale": "失联",
    "stale: running, no update since {when} UTC": "失联：运行中，自 {when} UTC 起无更新",
    # sections
    "Hyperparameters": "超参数",
    "What differs between the variants: {keys}.": "各变体之间不同的超参数：{keys}。",
    "Test metrics at {at}, one row per seed:": "{at}的测试指标，每个种子一行：",
    "checkpoint {name}": "检查点 {name} ",
    "each run's checkpoint": "各运行检查点",
    "References": "参考结果",
    "Per-class report": "各类别报告",
    "Checkpoint selections": "检查点选择",
    "Extra evaluations": "额外评估",
    "Confusion matrix": "混淆矩阵",
    "Charts": "图表",
    "Runs": "运行记录",
    "Notes": "笔记",
    "Same hyperparameters as {name}.": "超参数与{name}相同。",
    "Changed from {name}: {listed}.": "相对{name}的改动：{listed}。",
    "The baseline of this experiment.": "本实验的基线。",
    # tables
    "run": "运行",
    "status": "状态",
    "n": "n",
    "mean ± std (n={n})": "均值 ± 标准差（n={n}）",
    "95% CI": "95% 置信区间",
    "hyperparameter": "超参数",
    "value": "值",
    "Shared by every variant": "所有变体共享",
    "checkpoint": "检查点",
    "chosen on": "选择依据",
    "epoch per seed": "各种子选中的轮次",
    "last epoch": "最后一轮",
    "test {metric}": "测试 {metric}",
    "Test metrics of the checkpoint each rule picks (by the metric in *chosen on*), mean ± std over seeds:":
        "各选择规则（按“选择依据”中的指标）选出的检查点的测试指标，种子间均值 ± 标准差：",
    "evaluation": "评估",
    "class": "类别",
    "precision": "精确率",
    "recall": "召回率",
    "support": "样本数",
    "true \\ predicted": "真实 \\ 预测",
    "Counts ({where}; rows are the true class):": "计数（{where}；行为真实类别）：",
    "Row-normalised (% of each true class):": "按行归一化（占各真实类别的百分比）：",
    "{split} split, checkpoint {checkpoint}": "{split} 集，检查点 {checkpoint}",
    "{split} split, epoch {epoch} ({why}); rows are the true class":
        "{split} 集，第 {epoch} 轮（{why}）；行为真实类别",
    "Recall per class over epochs ({split} split)": "各类别召回率随轮次的变化（{split} 集）",
    "epoch {epoch}": "第 {epoch} 轮",
    "change": "变化",
    "over epochs": "逐轮",
    "run id": "运行 ID",
    "seed": "种子",
    "wall time": "耗时",
    "device": "设备",
    "commit": "提交",
    "ours (mean)": "我们的（均值）",
    "ours − {name}": "我们的 − {name}",
    "compared with": "对比对象",
    "verdict": "结论",
    "within seed noise": "在种子噪声内",
    "beyond seed noise": "超出种子噪声",
    "too few seeds": "种子太少",
    "too few seeds to tell": "种子太少，无法判断",
    "a seed measured NaN": "有种子测得 NaN",
    "Note": "笔记",
    "Note on {what}": "关于 {what} 的笔记",
    "{who}: training log (last lines)": "{who}：训练日志（最后几行）",
    "{who} failed": "{who} 失败",
    "seed {seed}": "种子 {seed}",
    # charts
    "{variant}: F1 per class (mean ± std over seeds)": "{variant}：各类别 F1（种子间均值 ± 标准差）",
    "{variant}: {metric} per epoch": "{variant}：每轮 {metric}",
    "{name} (chosen epoch)": "{name}（选中的轮次）",
    "{experiment}: test {metric} per variant (mean ± std over seeds)":
        "{experiment}：各变体测试 {metric}（种子间均值 ± 标准差）",
    "{experiment}: test {metric}, the best {k} variants (mean ± std over seeds)":
        "{experiment}：测试 {metric}，最好的 {k} 个变体（种子间均值 ± 标准差）",
    # overview
    "Experiments": "实验",
    "Overview": "总览",
    "days": "日期",
    "{n} runs of {m} variants on {d} {days} ({span}).": "{n} 次运行，{m} 个变体，{d} 天（{span}）。",
    "day": "天",
    " Variants are ranked by test {metric} ({direction} is better)":
        "变体按测试 {metric} 排序（{direction}为好）",
    "lower": "越低",
    "higher": "越高",
    "; ★ marks the best, {name}.": "；★ 标出最佳变体：{name}。",
    " The baseline is {name}.": "基线为 {name}。",
    " Click a column header to sort.": "点击列标题可排序。",
    "(baseline)": "（基线）",
    "Δ {metric} vs baseline [95% CI]": "相对基线的 Δ {metric} [95% 置信区间]",
    "verdict (Welch)": "结论（Welch）",
    "The best variant, {name}, beside the declared references:": "最佳变体 {name} 与声明的参考结果对比：",
    "Every experiment of the journal, with its best variant.": "日志中的所有实验及其最佳变体。",
    "experiment": "实验",
    "runs": "运行数",
    "last run": "最近运行",
    "best variant (test)": "最佳变体（测试）",
    "*No runs yet.*": "*尚无运行。*",
    "{n} variants": "{n} 个变体",
    " (points)": "（百分点）",
    " points": " 个百分点",
    "{metric} [95% CI]": "{metric} [95% 置信区间]",
    "Δ{unit} [95% CI]": "Δ{unit} [95% 置信区间]",
    "{metric}: n/a ({why}).": "{metric}：无法给出（{why}）。",
    "{diff}{points} against {name}": "相对 {name} 为 {diff}{points}",
    "Equal in every run, shown once: {pairs}.": "在每次运行中都相等，只显示一次：{pairs}。",
    "{name}: every metric, checkpoints, confusion matrices, charts, runs":
        "{name}：全部指标、检查点、混淆矩阵、图表、运行记录",
    "diary": "日记",
    "{metric} by {first} and {second} (mean over seeds):":
        "{metric} 随 {first} 与 {second} 的变化（各种子均值）：",
    "; ": "；",
    ": ": "：",
    ".": "。",
    ", ": "，",
    "{about}, {when} UTC": "{about}，{when} UTC",
    "epoch": "轮次",
    "Other runs": "其他运行",
    "The best variant, {name}, beside the references:": "最佳变体 {name} 与参考结果对比：",
    "Checkpoint {checkpoint}{epoch}.": "检查点 {checkpoint}{epoch}。",
    "Classification report of each run": "每次运行的分类报告",
    "best": "最佳",
    "{unit} {metric} over {n}": "{unit} {metric}，共 {n}",
    "test samples": "个测试样本",
    "No runs on this day.": "这一天没有运行。",
    "n, means and comparisons count every counted run of a variant, on any day; the blocks below "
    "show this day's runs.": "n、均值和比较计入该变体在任何一天的所有有效运行；下方各块只显示当天的运行。",
    ", epoch {epochs}": "，第 {epochs} 轮",
    "Sum over {n} runs": "{n} 次运行之和",
    "sum over seeds": "各种子之和",
    "{split} split, checkpoint {checkpoint}{epoch}; rows are the true class":
        "{split} 集，检查点 {checkpoint}{epoch}；行为真实类别",
    "Only candidates are ranked; a ★ needs 2 seeds or more and a lead beyond seed noise.":
        "只对候选变体排名；★ 需要至少 2 个种子且领先超出种子噪声。",
    "Ranked by test {metric} ({direction} is better).": "按测试 {metric} 排名（{direction}越好）。",
    "Ranked by {metric} ({direction} is better).": "按 {metric} 排名（{direction}越好）。",
    "no clear winner": "无明确最优",
    "role": "角色",
    "candidate": "候选",
    "reference": "参考",
    "upper bound": "上界",
    "lower bound": "下界",
    "{k} more runs are not counted (superseded or retired; see the posts).":
        "另有 {k} 次运行未计入（被取代或已退役；见各日志）。",
    "{metric} (test) [95% CI]": "{metric}（测试）[95% 置信区间]",
    "{keys}: mean ± std over seeds": "{keys}：各种子的均值 ± 标准差",
    "Each variant against the declared baseline, or else the variant that differs from it in the "
    "fewest settings (same task and data set):":
        "每个变体与声明的基线比较，若无基线则与设置差异最少的变体比较（同一任务和数据集）：",
    "Not counted ({k}): {listed}.": "未计入（{k}）：{listed}。",
    "Role: {role} (shown, not ranked).": "角色：{role}（展示，不参与排名）。",
    "retired: {reason}": "已退役：{reason}",
    "superseded by {id}": "被 {id} 取代",
    "the nearest variant, {name}": "最接近的变体 {name}",
    "{who} of {variant}: {why}": "{variant} 的{who}：{why}",
    "baseline": "基线",
    "nearest": "最接近",
    "not counted: retired ({reason})": "未计入：已退役（{reason}）",
    "not counted: superseded by {id}": "未计入：被 {id} 取代",
    "what differs": "差异",
    "★ {best} is best: {diff} against {against}, beyond seed noise.":
        "★ {best} 最佳：相对 {against} 为 {diff}，超出种子噪声。",
    "No clear winner: no candidate measured {metric}.": "无明确最优：没有候选变体测量了 {metric}。",
    "No clear winner: the best, {best}, has n={n} (a ★ needs 2 seeds or more).":
        "无明确最优：最佳变体 {best} 只有 n={n}（★ 需要至少 2 个种子）。",
    "No clear winner: {best} is the only candidate.": "无明确最优：{best} 是唯一的候选变体。",
    "No clear winner: a seed of {against} measured NaN, so the lead of {best} cannot be tested.":
        "无明确最优：{against} 有种子测得 NaN，无法检验 {best} 的领先。",
    "No clear winner: {against} has fewer than 2 seeds, so the lead of {best} cannot be tested.":
        "无明确最优：{against} 的种子少于 2 个，无法检验 {best} 的领先。",
    "No clear winner: {best} − {against} = {diff}, within seed noise.":
        "无明确最优：{best} − {against} = {diff}，在种子噪声内。",
    "No clear winner: {best} was measured at checkpoint {best_at} and {against} at {against_at}, "
    "so {diff} is not the variants' difference alone.":
        "无明确最优：{best} 在检查点 {best_at} 测量，{against} 在 {against_at}，所以 {diff} "
        "不只是变体之间的差异。",
    " (checkpoints differ)": "（检查点不同）",
    "{metric}: no finished run measured it.": "{metric}：没有已完成的运行测量它。",
}

_current: ContextVar[str] = ContextVar("journal_language", default="en")


def normalise(lang: str | None) -> str:
    """``zh``, ``zh-CN``, ``zh_TW`` → ``zh``; anything else → ``en``."""
    return "zh" if lang and lang.lower().replace("_", "-").split("-")[0] == "zh" else "en"


@contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Render in ``lang`` inside the block."""
    token = _current.set(normalise(lang))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


def t(text: str, **values: object) -> str:
    """``text`` in the current language, with ``values`` formatted in."""
    if _current.get() == "zh":
        text = ZH.get(text, text)
    return text.format(**values) if values else text
