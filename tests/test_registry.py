"""Methods of one's own: a weighting and an architecture registered by name work wherever the built-in
ones do (TrainConfig, run_experiment, saving and loading, the command line with --import), and
instances go where names do (TrainConfig's weighting, run_experiment's model, load_run's model)."""

import sys
import textwrap
import warnings
from dataclasses import replace

import pytest

from mtl_lib import EncoderConfig, TrainConfig, build_model, build_vocab, load_run, run_experiment
from mtl_lib.__main__ import main
from mtl_lib.errors import CheckpointError, ConfigError, DataWarning
from mtl_lib.losses import WEIGHTINGS, EqualWeighting, LossWeighting
from mtl_lib.models import MODELS
from mtl_lib.registry import Registry

MODULE = "my_methods_for_the_registry_test"
METHODS = '''
    """A practitioner's own methods: hard sharing with word vectors twice as long, and half weights."""
    from dataclasses import replace

    from mtl_lib.losses import WEIGHTINGS, EqualWeighting, LossWeighting
    from mtl_lib.models import MODELS
    from mtl_lib.models.multitask import HardSharing


    @MODELS.register("wide_hard")
    class WideHard(HardSharing):
        def __init__(self, vocab_size, num_labels, encoder, **options):
            super().__init__(vocab_size, num_labels, replace(encoder, embedding_dim=2 * encoder.embedding_dim), **options)


    @WEIGHTINGS.register("halves")
    class Halves(LossWeighting):
        def __init__(self, task_names):
            super().__init__()
            self.task_names = list(task_names)

        def combine(self, task_losses):
            return 0.5 * sum(task_losses.values())

        def weights(self):
            return {task: 0.5 for task in self.task_names}
'''
SMALL = EncoderConfig(kind="bow", embedding_dim=16, hidden_dim=16)


@pytest.fixture
def my_methods(tmp_path, monkeypatch):
    """The module above, in the current folder, not yet imported; its names forgotten afterwards."""
    (tmp_path / f"{MODULE}.py").write_text(textwrap.dedent(METHODS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(tmp_path)
    yield tmp_path
    sys.modules.pop(MODULE, None)
    for registry, name in ((MODELS, "wide_hard"), (WEIGHTINGS, "halves")):
        if name in registry:
            registry.remove(name)


@pytest.fixture(scope="module")
def tiny(news):
    return news.sample(per_split=30, seed=0)


def test_registered_methods_train_save_and_load_like_the_built_in_ones(my_methods, tiny, tmp_path):
    __import__(MODULE)
    assert "wide_hard" in MODELS and "halves" in WEIGHTINGS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        result = run_experiment(tiny, "wide_hard", SMALL, TrainConfig(weighting="halves", epochs=1, progress=False))
    assert type(result.model).__name__ == "WideHard" and result.model.encoder.output_dim == 32
    assert result.trainer.history.filter(like="weight/").eq(0.5).all().all()
    result.save(tmp_path / "run")
    loaded = load_run(tmp_path / "run")
    assert type(loaded.model).__name__ == "WideHard"
    for name, value in result.model.state_dict().items():
        assert loaded.model.state_dict()[name].equal(value)


def test_an_unregistered_name_is_refused_with_how_to_register_it(my_methods, tiny, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown weighting 'halves'; weightings are: equal, uncertainty, "
                                          r"pcgrad, fixed\. .*@mtl_lib\.losses\.WEIGHTINGS\.register\(name\)"):
        TrainConfig(weighting="halves")
    __import__(MODULE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        run_experiment(tiny, "wide_hard", SMALL, TrainConfig(epochs=1, progress=False)).save(tmp_path / "run")
    MODELS.remove("wide_hard")
    with pytest.raises(ConfigError, match=r"unknown model 'wide_hard'.*--import the module that registers it"):
        load_run(tmp_path / "run")


def test_the_command_line_imports_the_module_that_registers_them(my_methods, tiny, capsys):
    tiny.frame[["task", "text", "label", "split"]].to_csv(my_methods / "headlines.csv", index=False)
    train = ["train", "--data", "headlines.csv", "--model", "wide_hard", "--weighting", "halves", "--encoder", "bow",
             "--embedding-dim", "16", "--hidden-dim", "16", "--epochs", "1", "--quiet", "--out", "run"]
    with pytest.raises(SystemExit):  # argparse: not one of the choices, until the module is imported
        main(train)
    assert "invalid choice: 'wide_hard'" in capsys.readouterr().err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main(["--import", MODULE, *train]) == 0
    capsys.readouterr()
    assert main(["--import", MODULE, "predict", "run", "--task", "Reuters", "--text", "Fed raises rates"]) == 0
    assert capsys.readouterr().out.startswith("label: ")
    assert main(["--import", "no_such_module_here", "data", "news"]) == 2
    assert capsys.readouterr().err.startswith("error: --import no_such_module_here: No module named")


def test_a_registry_refuses_a_taken_name_a_non_builder_and_a_wrong_product():
    things = Registry("thing", LossWeighting, "tests.things")
    things.add("equal", EqualWeighting)
    with pytest.raises(ConfigError, match="the thing name 'equal' is taken"):
        things.add("equal", object)
    with pytest.raises(ConfigError, match="registered as a class or a function"):
        things.add("two", 2)
    things.add("wrong", lambda task_names: "not a weighting")
    with pytest.raises(ConfigError, match="the thing 'wrong' built a str, not a LossWeighting"):
        things.build("wrong", ["Reuters"])
    assert list(things) == ["equal", "wrong"] and things.build("equal", ["Reuters"]).weights() == {"Reuters": 1.0}


class Thirds(LossWeighting):
    """A weighting nobody registered: a third of each task loss, and a count of the steps it combined."""

    def __init__(self, task_names):
        super().__init__()
        self.task_names, self.steps = list(task_names), 0

    def combine(self, task_losses):
        self.steps += 1
        return sum(task_losses.values()) / 3

    def weights(self):
        return {task: 1 / 3 for task in self.task_names}


def test_a_weighting_instance_goes_where_its_name_would_and_each_trainer_trains_a_copy(tiny, tmp_path):
    mine = Thirds(tiny.task_names)
    config = TrainConfig(weighting=mine, epochs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        first = run_experiment(tiny, "hard", SMALL, config)
        second = run_experiment(tiny, "hard", SMALL, replace(config, seed=1))
    assert mine.steps == 0, "the config's instance stays untrained: one config serves several runs"
    assert first.trainer.weighting is not second.trainer.weighting and first.trainer.weighting.steps > 0
    assert first.trainer.history.filter(like="weight/").round(6).eq(round(1 / 3, 6)).all().all()
    assert config.to_dict()["weighting"] == "test_registry.Thirds"  # no name: its class's import path
    first.save(tmp_path / "run")
    assert load_run(tmp_path / "run").train_config["weighting"] == "test_registry.Thirds"
    WEIGHTINGS.add("thirds", Thirds)
    try:
        assert config.to_dict()["weighting"] == "thirds"  # registered: its name
    finally:
        WEIGHTINGS.remove("thirds")
    with pytest.raises(ConfigError, match="unknown weighting 3"):
        TrainConfig(weighting=3)


def test_a_model_instance_trains_as_built_and_loads_into_one_built_the_same_way(tiny, tmp_path):
    vocab = build_vocab(tiny)
    num_labels = {task: len(labels.label_names) for task, labels in tiny.tasks.items()}
    mine = build_model("asp", len(vocab), num_labels, SMALL, hidden_dim=8)  # options no name records
    with pytest.raises(ConfigError, match=r"pass that vocabulary too, run_experiment\(data, model, vocab=vocab\)"):
        run_experiment(tiny, mine)
    with pytest.raises(ConfigError, match="encoder and options build a model from its name"):
        run_experiment(tiny, mine, SMALL, vocab=vocab)
    with pytest.raises(ConfigError, match=r"embedding has \d+ rows, but the vocabulary has \d+ tokens"):
        run_experiment(tiny, build_model("hard", len(vocab) + 1, num_labels, SMALL), vocab=vocab)
    with pytest.raises(ConfigError, match=r"built for the tasks \{'Reuters': 4\}"):
        run_experiment(tiny, build_model("hard", len(vocab), {"Reuters": 4}, SMALL), vocab=vocab)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        result = run_experiment(tiny, mine, config=TrainConfig(epochs=1, progress=False), vocab=vocab)
    assert result.model is mine and result.spec.architecture == "mtl_lib.models.multitask.SharedPrivate"
    result.save(tmp_path / "run")
    with pytest.raises(CheckpointError, match=r"trained as an instance.*load_run\('.*run', model=\.\.\.\)"):
        load_run(tmp_path / "run")
    with pytest.raises(CheckpointError, match="holds a SharedPrivate with a discriminator, but this model is a "
                                              "SharedPrivate: build one as the saved one was built"):
        load_run(tmp_path / "run", model=build_model("sp", len(vocab), num_labels, SMALL))
    loaded = load_run(tmp_path / "run", model=build_model("asp", len(vocab), num_labels, SMALL, hidden_dim=8))
    texts = tiny.texts("Reuters", "test")
    assert loaded.predict("Reuters", texts).equals(result.predict("Reuters", texts))
