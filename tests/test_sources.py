"""Each parser on the real archives, against the counts in ../shared/data/README.md."""

import pytest

from mtl_lib.data.sources import NEWS_PUBLISHERS

# publisher: (business, sci/tech, entertainment, health), from the data README's table
NEWS_COUNTS = {
    "Reuters": (3157, 376, 184, 185),
    "Huffington Post": (442, 465, 1225, 323),
    "Businessweek": (1822, 353, 87, 133),
    "Contactmusic.com": (2, 12, 2309, 11),
    "Daily Mail": (204, 318, 1474, 258),
}
NEWS_LABELS = ("business", "science and technology", "entertainment", "health")


def test_news_has_the_five_publishers_as_tasks(news):
    assert news.task_names == list(NEWS_PUBLISHERS)
    assert len(news.frame) == 13340


@pytest.mark.parametrize("publisher", NEWS_COUNTS)
def test_news_counts_per_publisher_and_category(news, publisher):
    counts = news.counts()[publisher]
    per_label = {label: sum(split[label] for split in counts.values()) for label in NEWS_LABELS}
    assert tuple(per_label.values()) == NEWS_COUNTS[publisher]


def test_news_every_publisher_has_all_four_categories_as_labels(news):
    assert all(task.label_names == NEWS_LABELS for task in news.tasks.values())


def test_bbc_is_one_task_with_five_categories(bbc):
    assert bbc.task_names == ["BBC"]
    assert bbc.tasks["BBC"].label_names == ("business", "entertainment", "politics", "sport", "tech")
    assert len(bbc.frame) == 2225
    assert bbc.frame.text.duplicated().sum() == 98


def test_bbc_texts_start_with_the_headline(bbc):
    first = bbc.frame[bbc.frame.label == "tech"].text.iloc[0]
    assert "\n" in first and len(first.split("\n", 1)[0]) < 120


def test_fdu_mtl_has_sixteen_tasks_with_the_papers_sizes(fdu):
    assert len(fdu.task_names) == 16
    sizes = fdu.frame.groupby(["task", "split"]).size().unstack()
    assert (sizes["test"] == 400).all()
    assert (sizes["dev"] == 200).all()
    # train + dev is the upstream train file, less one label-only line in sports_outdoors
    train_files = (sizes["train"] + sizes["dev"]).to_dict()
    expected = {task: 1600 for task in fdu.task_names} | {
        "baby": 1500, "camera_photo": 1597, "electronics": 1598, "magazines": 1570,
        "software": 1515, "sports_outdoors": 1599}
    assert train_files == expected


def test_fdu_mtl_lines_are_split_on_newline_only(fdu):
    """str.splitlines() would break MR and imdb reviews at U+0085/U+2028 into extra rows."""
    sizes = fdu.frame.groupby(["task", "split"]).size()
    assert sizes["MR", "train"] + sizes["MR", "dev"] == 1600
    assert sizes["imdb", "train"] + sizes["imdb", "dev"] == 1600


def test_fdu_mtl_latin1_files_decode(fdu):
    mr = " ".join(fdu.texts("MR", "train"))
    assert "\ufffd" not in mr and any(ord(ch) > 127 for ch in mr)


def test_fdu_mtl_keeps_unlabeled_texts_apart(fdu):
    per_task = fdu.unlabeled.groupby("task").size()
    assert per_task["apparel"] == 2000 and per_task["software"] == 475
    assert set(fdu.frame.split) == {"train", "dev", "test"}
    assert fdu.tasks["MR"].label_names == ("negative", "positive")
