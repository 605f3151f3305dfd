"""The ``glassnet`` command: train, evaluate, predict with and inspect the model zoo.

    glassnet train --model lenet5 --dataset fashion-mnist --epochs 10 --out runs/lenet5
    glassnet evaluate runs/lenet5
    glassnet predict runs/lenet5 shoe.png
    glassnet resume runs/lenet5
    glassnet models | glassnet datasets | glassnet summary resnet20

A run folder holds everything needed to continue or reuse a run: ``config.json`` (every option,
the dataset's input shape and normalisation statistics), ``metrics.jsonl`` (one line per epoch),
checkpoints, plots and ``report.md``. Heavy packages load only inside the command that needs them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from glassnet.io.tensor_file import CheckpointError

EPILOGS = {
    "train": """examples:
  glassnet train --model lenet5 --dataset fashion-mnist --epochs 10 --batch-size 64 \\
      --optimizer sgd --lr 0.01 --momentum 0.9 --seed 0 --out runs/lenet5-fashion-mnist
  glassnet train --model fashion-cnn --dataset fashion-mnist --epochs 30 --optimizer adamw \\
      --lr 3e-3 --weight-decay 5e-4 --scheduler onecycle --augment crop,flip
  glassnet train --model mlp --dataset digits --epochs 5 --limit-train 500   # a quick run
  glassnet train --model resnet20 --dataset cifar10 --data-dir ~/data --scheduler cosine""",
    "evaluate": """examples:
  glassnet evaluate runs/lenet5-fashion-mnist            # test accuracy of the final weights
  glassnet evaluate runs/lenet5-fashion-mnist --checkpoint best --split val""",
    "predict": """examples:
  glassnet predict runs/lenet5-fashion-mnist boot.png shirt.png
  glassnet predict runs/mlp-digits sample.npy --top 5
Images are converted to the dataset's channels and size (PNG/JPEG need Pillow); a .npy file
holds one image (H, W), (C, H, W) or a batch (N, C, H, W) in the dataset's raw value range
(0-255 for pixels) or already in [0, 1] if float.""",
    "resume": """examples:
  glassnet resume runs/lenet5-fashion-mnist              # finish the planned epochs
  glassnet resume runs/lenet5-fashion-mnist --epochs 20  # train on to epoch 20""",
    "models": "example:\n  glassnet models",
    "datasets": "example:\n  glassnet datasets",
    "summary": """examples:
  glassnet summary lenet5                        # for Fashion-MNIST's 1x28x28 images
  glassnet summary resnet20 --dataset cifar10
  glassnet summary mlp --input-shape 1,8,8""",
    "lab": """examples:
  glassnet lab list
  glassnet lab run xor --quick --out runs/lab
  glassnet lab run all --quick --out runs/lab
  glassnet lab report runs/lab > RESULTS_LAB.md""",
}


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


# ----------------------------------------------------------------------------- option types
# Every numeric option is checked when the command line is parsed: a bad value is one line on
# stderr ("glassnet train: error: argument --batch-size: expected a positive integer, got 0")
# and exit status 2, before any data is loaded.
def _number(text, kind, name):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None


def positive_int(text):
    """An integer >= 1 (batch sizes, epochs, sample limits)."""
    n = _number(text, int, "a positive integer")
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def nonneg_int(text):
    """An integer >= 0 (worker threads, prefetched batches, seeds)."""
    n = _number(text, int, "a non-negative integer")
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {n}")
    return n


def _finite(text, name):
    x = _number(text, float, name)
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}")
    return x


def positive_float(text):
    """A finite number > 0 (the learning rate)."""
    x = _finite(text, "a positive number")
    if x <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {x:g}")
    return x


def nonneg_float(text):
    """A finite number >= 0 (momentum, weight decay)."""
    x = _finite(text, "a non-negative number")
    if x < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {x:g}")
    return x


def probability(text):
    """A number in [0, 1) (a share of the data, label smoothing)."""
    x = _finite(text, "a number in [0, 1)")
    if not 0 <= x < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {x:g}")
    return x


def existing_dir(text):
    """A folder that exists (``--data-dir``): a typo must not fall back to another copy."""
    path = Path(text).expanduser()
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"folder {text} {what}")
    return str(path)


def input_shape(text):
    """``C,H,W`` (or ``D``): positive integers separated by commas."""
    try:
        shape = tuple(int(s) for s in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas (C,H,W), got {text!r}")
    return shape


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# ----------------------------------------------------------------------------- the parser
def _add_train_args(p):
    g = p.add_argument_group("what to train")
    g.add_argument("--model", required=True, help="a name from `glassnet models`")
    g.add_argument("--dataset", required=True, help="a name from `glassnet datasets`")
    g.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="extra model argument, e.g. --model-arg dropout=0.3 (repeatable)")
    g.add_argument("--data-dir", type=existing_dir, default=None,
                   help="folder with the dataset files")
    g = p.add_argument_group("how")
    g.add_argument("--epochs", type=positive_int, default=10, help="total epochs")
    g.add_argument("--batch-size", type=positive_int, default=64, help="samples per step")
    g.add_argument("--optimizer", default="sgd",
                   choices=["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta"],
                   help="the optimiser")
    g.add_argument("--lr", type=positive_float, default=0.01,
                   help="learning rate (peak for onecycle)")
    g.add_argument("--momentum", type=nonneg_float, default=0.9, help="SGD/RMSprop momentum")
    g.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD)")
    g.add_argument("--weight-decay", type=nonneg_float, default=0.0,
                   help="L2 penalty (decoupled for adamw)")
    g.add_argument("--scheduler", default="none", choices=["none", "step", "cosine", "onecycle"],
                   help="step: x0.1 at 50%% and 75%% of the epochs; cosine: to 0 per step; "
                        "onecycle: warm up to --lr then anneal")
    g.add_argument("--label-smoothing", type=probability, default=0.0,
                   help="cross-entropy smoothing")
    g.add_argument("--augment", default="", help="comma list: crop, flip, rotate, affine, "
                   "elastic, noise, erase, jitter (name=value sets the strength)")
    g.add_argument("--no-normalize", dest="normalize", action="store_false",
                   help="do not standardise inputs with the training set's mean and std")
    g.add_argument("--seed", type=nonneg_int, default=0, help="seeds data split, init, shuffles")
    g.add_argument("--val-split", type=probability, default=0.1,
                   help="share of the training set held out for validation (0 for none)")
    g.add_argument("--limit-train", type=positive_int, default=None, metavar="N",
                   help="train on the first N training samples only (quick runs)")
    g.add_argument("--limit-test", type=positive_int, default=None, metavar="N",
                   help="evaluate on the first N test samples only")
    g.add_argument("--workers", type=nonneg_int, default=0, help="DataLoader worker threads")
    g.add_argument("--prefetch", type=nonneg_int, default=2, help="batches prepared ahead")
    g.add_argument("--out", default=None, help="run folder (default runs/MODEL-DATASET)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Examples printed as written; a meaningful default shown after each option's help."""

    def _get_help_string(self, action):
        text = action.help or ""
        d = action.default
        empty = d is None or d is False or d is argparse.SUPPRESS or d == [] or d == ""
        if not empty and action.option_strings and action.nargs != 0:
            text = f"{text} (default: %(default)s)".lstrip()
        return text


def build_parser():
    fmt = _Formatter
    parser = _Parser(
        prog="glassnet", formatter_class=fmt,
        description="glassnet: train and inspect the networks of the course on NumPy.",
        epilog="examples:\n  glassnet models\n  glassnet train --model lenet5 --dataset "
               "fashion-mnist --epochs 10 --out runs/lenet5\n  glassnet evaluate runs/lenet5\n"
               "run `glassnet COMMAND --help` for each command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def cmd(name, help_):
        return sub.add_parser(name, help=help_, description=help_, epilog=EPILOGS[name],
                              formatter_class=fmt)

    _add_train_args(cmd("train", "train a model on a dataset and write a run folder"))
    p = cmd("evaluate", "evaluate a run's checkpoint on the test (or validation) set")
    p.add_argument("run")
    p.add_argument("--checkpoint", default="last",
                   help="last (the final weights, whose test numbers `train` prints), best "
                        "(lowest validation loss) or a checkpoint path")
    p.add_argument("--split", default="test", choices=["test", "val", "train"])
    p.add_argument("--data-dir", type=existing_dir, default=None)
    p.add_argument("--batch-size", type=positive_int, default=256)
    p = cmd("predict", "classify image files with a trained run (top classes)")
    p.add_argument("run")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--checkpoint", default="last", help="last, best or a checkpoint path")
    p.add_argument("--top", type=positive_int, default=3)
    p.add_argument("--invert", action="store_true",
                   help="invert intensities (dark objects on a light background)")
    p = cmd("resume", "continue a run exactly from its last checkpoint")
    p.add_argument("run")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="new total number of epochs")
    p.add_argument("--data-dir", type=existing_dir, default=None)
    p.add_argument("--quiet", action="store_true")
    cmd("models", "list the model zoo")
    cmd("datasets", "list the built-in datasets and whether their files are present")
    p = cmd("summary", "print a model's layers, output shapes, parameters and mult-adds")
    p.add_argument("model")
    p.add_argument("--dataset", default="fashion-mnist", help="take the input shape from here")
    p.add_argument("--input-shape", type=input_shape, default=None,
                   help="C,H,W (overrides --dataset)")
    p.add_argument("--num-classes", type=positive_int, default=None)
    p.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE")
    p = cmd("lab", "the course's claims as experiments: list, run, report")
    lab = p.add_subparsers(dest="lab_command", metavar="ACTION")
    lab.required = True
    lab.add_parser("list", help="every experiment: name, lecture, claim")
    q = lab.add_parser("run", help="run one experiment (or all) and write its results")
    q.add_argument("name", help="an experiment's name, or all")
    q.add_argument("--quick", action="store_true",
                   help="small data and few epochs (a few minutes at most on two cores)")
    q.add_argument("--out", default="runs/lab", help="results go to OUT/NAME/")
    q.add_argument("--seed", type=nonneg_int, default=0)
    q = lab.add_parser("report", help="one Markdown table of the results under a folder")
    q.add_argument("out", nargs="?", default="runs/lab")
    return parser


# ----------------------------------------------------------------------------- helpers
def _parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def model_kwargs(pairs):
    """``['dropout=0.3', 'hidden=[256,64]']`` -> ``{'dropout': 0.3, 'hidden': [256, 64]}``."""
    out = {}
    for item in pairs:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise CLIError(f"--model-arg: expected KEY=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = _parse_value(value.strip())
    return out


def dataset_info(name):
    from glassnet.data import datasets

    try:
        return datasets.info(name)
    except KeyError:
        raise CLIError(f"unknown dataset {name!r}; available datasets: "
                       f"{', '.join(datasets.names())}") from None


def model_entry(name):
    from glassnet import models

    try:
        return models.entry(name)
    except KeyError as e:
        raise CLIError(e.args[0]) from None


def check_compatible(model, info):
    from glassnet import models

    e = model_entry(model)
    if e.kind == "autoencoder":
        raise CLIError(f"model {e.name!r} is an autoencoder (it reconstructs its input); "
                       "`glassnet train` trains classifiers - see examples/ for autoencoders")
    try:
        models.check_input(e.name, info.input_shape)
    except ValueError as err:
        raise CLIError(f"model {e.name!r} does not fit dataset {info.name!r}: {err}") from None


def load_dataset(info, train, data_dir=None):
    """The dataset, or a CLIError carrying the dataset's own message about missing files."""
    from glassnet.data.datasets import DatasetNotFoundError, DownloadError

    try:
        return info(root=data_dir, train=train)
    except (DatasetNotFoundError, DownloadError, ImportError, FileNotFoundError) as e:
        raise CLIError(f"dataset {info.name!r} is not available: {e}") from None


def read_config(run):
    path = Path(run) / "config.json"
    if not path.is_file():
        raise CLIError(f"{run}: not a run folder (no config.json); train one with "
                       "`glassnet train ... --out {run}`")
    return json.loads(path.read_text())


def _print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


# ----------------------------------------------------------------------------- commands
def cmd_models(args):
    from glassnet import models

    rows = [[n, models.entry(n).kind, d] for n, d in models.available().items()]
    _print_table(rows, ["model", "kind", "description"])
    print("\n`glassnet summary MODEL` shows the layers; `glassnet train --model MODEL ...` trains.")


def cmd_lab(args):
    from glassnet import lab

    if args.lab_command == "list":
        rows = [[e.name, e.lecture, e.claim] for e in lab.registry().values()]
        _print_table(rows, ["experiment", "lecture", "claim"])
        print("\n`glassnet lab run NAME --quick` runs one; `glassnet lab run all --quick` runs "
              "them all.")
        return 0
    if args.lab_command == "report":
        if not os.path.isdir(args.out):
            raise CLIError(f"folder {args.out} does not exist")
        print(lab.report_table(args.out), end="")
        return 0
    todo = lab.names() if args.name == "all" else [args.name]
    try:
        for name in todo:
            lab.get(name)
    except KeyError as e:
        raise CLIError(e.args[0]) from None
    failed = []
    for name in todo:
        r = lab.run(name, out=args.out, quick=args.quick, seed=args.seed)
        failed += [f"{name}: {c['claim']}" for c in r["claims"] if not c["holds"]]
    if len(todo) > 1:
        print(f"\n{len(todo)} experiments; {len(failed)} claims did not hold"
              + ("".join(f"\n  {f}" for f in failed) if failed else ""))
        print(f"`glassnet lab report {args.out}` tabulates them.")
    return 0


def cmd_datasets(args):
    from glassnet.data import datasets

    rows = []
    for e in datasets.available():
        shape = "x".join(str(s) for s in e.input_shape)
        rows.append([e.name, shape, e.num_classes, "yes" if e.is_available() else "no",
                     e.description])
    _print_table(rows, ["dataset", "input", "classes", "present", "description"])
    print("\n`present: no` means the files were not found; `--data-dir DIR` or $GLASSNET_DATA "
          "points glassnet at them (or it downloads them when it can).")


def cmd_summary(args):
    from glassnet import models

    e = model_entry(args.model)
    if args.input_shape:
        shape = args.input_shape
        classes = args.num_classes or 10
    else:
        info = dataset_info(args.dataset)
        shape, classes = tuple(info.input_shape), args.num_classes or info.num_classes
    kw = model_kwargs(args.model_arg)
    try:
        if e.kind in ("image", "flat", "autoencoder", "sequence"):
            model = models.build_for(e.name, shape, classes, **kw)
        elif e.kind in ("graph", "language"):
            raise CLIError(f"summary: {e.name!r} is a {e.kind} model without a fixed input shape; "
                           f"build it in Python and print it (print(glassnet.models.get("
                           f"'{e.name}', ...)))")
        else:
            model = models.get(e.name, **kw)
            w = getattr(model, "weight", None) if hasattr(model, "_parameters") and \
                "weight" in model._parameters else None
            width = getattr(model, "in_features", None) or (w.shape[0] if w is not None else None)
            if width is None:
                raise CLIError(f"summary: {e.name!r} has no fixed input width to show; build it "
                               f"in Python and print it (print(glassnet.models.get("
                               f"'{e.name}')))")
            shape = (width,)
    except (TypeError, ValueError) as err:
        raise CLIError(f"model {e.name!r}: {err}") from None
    print(f"{e.name}: {e.description}\n")
    print(models.summary(model, shape))


# ----------------------------------------------------------------------------- building a run
RUN_KEYS = ("model", "dataset", "model_arg", "epochs", "batch_size", "optimizer", "lr", "momentum",
            "nesterov", "weight_decay", "scheduler", "label_smoothing", "augment", "normalize",
            "seed", "val_split", "limit_train", "limit_test", "workers", "prefetch")


def make_data(cfg, data_dir=None):
    """Train / validation / test datasets for a run's settings (``cfg``: the CLI options).

    The validation set is a seeded random share of the training set; augmentation applies to
    the training part only; inputs are standardised with the training part's per-channel mean
    and standard deviation (measured once, stored in ``cfg['normalization']``).
    """
    import copy

    import numpy as np

    from glassnet.data import Subset
    from glassnet.data.transforms import Compose, Standardize, transforms_from_spec

    info = dataset_info(cfg["dataset"])
    train_full = load_dataset(info, True, data_dir)
    test = load_dataset(info, False, data_dir)
    n = len(train_full)
    perm = np.random.default_rng(cfg["seed"]).permutation(n)
    n_val = round(cfg["val_split"] * n) if cfg["val_split"] else 0
    val_idx, train_idx = np.sort(perm[:n_val]), perm[n_val:]
    if cfg.get("limit_train"):
        train_idx = train_idx[:cfg["limit_train"]]
    train_idx = np.sort(train_idx)
    plain = []
    if cfg["normalize"]:
        stats = cfg.get("normalization")
        if stats is None:  # measured on (up to 20k of) the training part, without augmentation
            std = Standardize().fit(train_full.inputs(train_idx[:20000]))
            cfg["normalization"] = {"per": std.per, "mean": np.asarray(std.mean).tolist(),
                                    "std": np.asarray(std.std).tolist()}
        else:
            std = Standardize(stats["per"], stats["mean"], stats["std"])
        plain = [std]
    try:
        aug = list(transforms_from_spec(cfg["augment"], input_shape=info.input_shape).transforms)
    except ValueError as e:
        raise CLIError(f"--augment: {e}") from None
    train_ds = copy.copy(train_full)
    train_ds.transform = Compose(aug + plain) if aug or plain else None
    eval_ds = copy.copy(train_full)
    eval_ds.transform = Compose(plain) if plain else None
    test.transform = Compose(plain) if plain else None
    if cfg.get("limit_test"):
        test = Subset(test, np.arange(min(cfg["limit_test"], len(test))))
    val = Subset(eval_ds, val_idx) if n_val else None
    return info, Subset(train_ds, train_idx), val, test


def make_model(cfg, info):
    from glassnet import models

    check_compatible(cfg["model"], info)
    try:
        return models.build_for(cfg["model"], info.input_shape, info.num_classes,
                                **model_kwargs(cfg["model_arg"]))
    except (TypeError, ValueError) as e:
        raise CLIError(f"model {cfg['model']!r}: {e}") from None


def make_trainer(cfg, model, steps_per_epoch, run_dir, quiet=False):
    import glassnet as gn
    from glassnet import nn, optim
    from glassnet.optim import lr_scheduler as sched
    from glassnet.train import Trainer

    params, name = model.parameters(), cfg["optimizer"]
    wd, lr = cfg["weight_decay"], cfg["lr"]
    if name == "sgd":
        opt = optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd,
                        nesterov=cfg["nesterov"])
    elif name == "rmsprop":
        opt = optim.RMSprop(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd)
    else:
        cls = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad,
               "adadelta": optim.Adadelta}[name]
        opt = cls(params, lr=lr, weight_decay=wd)
    epochs, interval, scheduler = cfg["epochs"], "epoch", None
    if cfg["scheduler"] == "step":  # the ResNet paper's schedule: /10 at 50% and 75%
        scheduler = sched.MultiStepLR(opt, [max(1, epochs // 2), max(1, epochs * 3 // 4)], 0.1)
    elif cfg["scheduler"] == "cosine":
        scheduler, interval = sched.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch), "step"
    elif cfg["scheduler"] == "onecycle":
        scheduler = sched.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
        interval = "step"
    loss = nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    gn.manual_seed(cfg["seed"])
    return Trainer(model, opt, loss, metrics=("accuracy",), scheduler=scheduler,
                   scheduler_interval=interval, run_dir=run_dir,
                   progress=not quiet, config={"cli": cfg}, report=False)


def _loader(ds, cfg, shuffle, batch_size=None):
    from glassnet.data import DataLoader

    return DataLoader(ds, batch_size=batch_size or cfg["batch_size"], shuffle=shuffle,
                      prefetch=cfg["prefetch"], num_workers=cfg["workers"])


def _finish(trainer, cfg, test, run_dir):
    """Test-set numbers of the final weights, into ``test_metrics.json`` and the report."""
    from glassnet.io import atomic_write_json

    test_loader = _loader(test, cfg, False, 256)
    metrics = trainer.evaluate(test_loader, prefix="test_")
    metrics["test_samples"] = len(test)
    atomic_write_json(str(Path(run_dir) / "test_metrics.json"), metrics)
    classes = getattr(getattr(test, "dataset", test), "classes", None) or None
    shown = {k[5:]: v for k, v in metrics.items() if k != "test_samples"}
    trainer.write_report(test_loader, test_metrics=shown, classes=classes,
                         title=f"{cfg['model']} on {cfg['dataset']}")
    acc = metrics.get("test_accuracy")
    print(f"test: loss {metrics['test_loss']:.4f}  accuracy {acc:.4f}  ({len(test)} samples)")
    print(f"run folder: {run_dir}")
    return metrics


def train_run(cfg, run_dir, data_dir=None, quiet=False, resume=False):
    """Build data, model and trainer from ``cfg``; fit (or resume); evaluate on the test set."""
    import glassnet as gn

    gn.manual_seed(cfg["seed"])
    info, train, val, test = make_data(cfg, data_dir)
    gn.manual_seed(cfg["seed"])
    model = make_model(cfg, info)
    train_loader = _loader(train, cfg, True)
    val_loader = _loader(val, cfg, False, 256) if val is not None else None
    trainer = make_trainer(cfg, model, len(train_loader), run_dir, quiet)
    if not quiet:
        n_params = sum(int(p.numel()) for p in model.parameters())
        print(f"{cfg['model']} ({n_params:,} parameters) on {info.name}: {len(train)} train, "
              f"{len(val) if val is not None else 0} val, {len(test)} test samples; "
              f"{cfg['epochs']} epochs of {len(train_loader)} steps")
    trainer.fit(train_loader, val_loader, epochs=cfg["epochs"],
                resume_from=run_dir if resume else None)
    return _finish(trainer, cfg, test, run_dir)


def cmd_train(args):
    cfg = {k: getattr(args, k) for k in RUN_KEYS}
    info = dataset_info(cfg["dataset"])
    cfg["dataset"] = info.name
    cfg["model"] = model_entry(cfg["model"]).name
    check_compatible(cfg["model"], info)
    run_dir = args.out or os.path.join("runs", f"{cfg['model']}-{cfg['dataset']}")
    train_run(cfg, run_dir, args.data_dir, args.quiet)


def cmd_resume(args):
    from glassnet.train import RunDir

    cfg = dict(read_config(args.run).get("user", {}).get("cli") or {})
    if not cfg:
        raise CLIError(f"{args.run}: config.json was not written by `glassnet train`")
    if RunDir(args.run).last_checkpoint() is None:
        raise CLIError(f"{args.run}: no checkpoints/last checkpoint to resume from")
    if args.epochs is not None:
        if cfg["scheduler"] in ("cosine", "onecycle") and args.epochs != cfg["epochs"]:
            raise CLIError(f"--epochs: a {cfg['scheduler']} schedule is fixed to the planned "
                           f"{cfg['epochs']} epochs; start a new run for a longer one")
        cfg["epochs"] = args.epochs
    train_run(cfg, args.run, args.data_dir, args.quiet, resume=True)


def load_run(run, checkpoint="last"):
    """``(cfg, info, model)`` of a finished run, weights loaded from its checkpoint."""
    from glassnet.io import load_checkpoint

    cfg = dict(read_config(run).get("user", {}).get("cli") or {})
    if not cfg:
        raise CLIError(f"{run}: config.json was not written by `glassnet train`")
    info = dataset_info(cfg["dataset"])
    model = make_model(cfg, info)
    path = Path(checkpoint)
    if not path.exists():
        path = Path(run) / "checkpoints" / f"{checkpoint}.safetensors"
        if not path.exists() and checkpoint == "best":
            path = Path(run) / "checkpoints" / "last.safetensors"
        if not path.exists():
            npz = path.with_suffix(".npz")
            path = npz if npz.exists() else path
    if not path.exists():
        raise CLIError(f"{run}: no checkpoint {checkpoint!r} (looked for {path})")
    load_checkpoint(str(path), model=model)
    model.eval()
    return cfg, info, model, path


def cmd_evaluate(args):
    import glassnet as gn
    from glassnet import nn
    from glassnet.train import Trainer

    cfg, _, model, path = load_run(args.run, args.checkpoint)
    gn.manual_seed(cfg["seed"])
    _, train, val, test = make_data(cfg, args.data_dir)
    data = {"test": test, "val": val, "train": train}[args.split]
    if data is None:
        raise CLIError(f"{args.run}: the run has no validation split (--val-split 0)")
    if args.split == "train":  # without augmentation: the test set's (normalising) transform
        data.dataset.transform = getattr(test, "dataset", test).transform
    trainer = Trainer(model, None, nn.CrossEntropyLoss(), run_dir=False, progress=False)
    metrics = trainer.evaluate(_loader(data, cfg, False, args.batch_size), prefix=f"{args.split}_")
    print(f"{cfg['model']} on {cfg['dataset']} ({args.split}, {len(data)} samples, "
          f"checkpoint {path.name}):")
    for k, v in metrics.items():
        print(f"  {k}: {v:.4f}")
    return 0


def read_image(path, shape, pixel_max=255.0, invert=False):
    """One file as a float32 batch ``(N, *shape)`` in the dataset's [0, 1] input range.

    ``.npy``: an array ``(H, W)``, ``(C, H, W)``, ``(H, W, C)``, ``(N, C, H, W)`` or, for
    vector datasets, ``(D,)`` / ``(N, D)``; integers are divided by the dataset's pixel maximum.
    Other files are read with Pillow, converted to the dataset's channels and resized.
    """
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        a = np.load(path, allow_pickle=False)
    else:
        try:
            from PIL import Image
        except ImportError:
            raise CLIError(f"{path}: reading images needs Pillow (pip install pillow); "
                           "or pass a .npy array") from None
        if len(shape) != 3:
            raise CLIError(f"{path}: this run's dataset has vector inputs {shape}; pass a .npy")
        try:
            img = Image.open(path).convert("L" if shape[0] == 1 else "RGB")
        except OSError as e:
            raise CLIError(f"{path}: cannot read the image ({e})") from None
        if img.size != (shape[2], shape[1]):
            img = img.resize((shape[2], shape[1]), Image.BILINEAR)
        a = np.asarray(img)
        a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        pixel_max = 255.0
    a = a.astype(np.float32) / np.float32(pixel_max) if a.dtype.kind in "iub" else \
        a.astype(np.float32)
    if len(shape) == 3 and a.ndim == 3 and a.shape[-1] == shape[0] and a.shape[0] != shape[0]:
        a = a.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if a.shape == tuple(shape[1:]) and shape[0] == 1:
        a = a[None]
    if a.shape == tuple(shape):
        a = a[None]
    if a.shape[1:] != tuple(shape):
        raise CLIError(f"{path}: expected an input of shape {tuple(shape)} (or a batch of them), "
                       f"got an array of shape {a.shape}")
    return 1.0 - a if invert else a


def cmd_predict(args):
    import numpy as np

    from glassnet.data.transforms import Standardize
    from glassnet.train import predict

    cfg, info, model, _ = load_run(args.run, args.checkpoint)
    classes = list(getattr(info.cls, "classes", None) or []) or \
        [str(i) for i in range(info.num_classes)]
    stats = cfg.get("normalization")
    norm = Standardize(stats["per"], stats["mean"], stats["std"]) if stats else None
    pixel_max = float(getattr(info.cls, "pixel_max", 255.0))
    for name in args.images:
        x = read_image(name, tuple(info.input_shape), pixel_max, args.invert)
        if norm is not None:
            x = norm(x)
        probs = predict(model, x, probabilities=True)  # softmax over the class scores
        for i, p in enumerate(probs):
            top = np.argsort(-p)[:args.top]
            label = name if len(probs) == 1 else f"{name}[{i}]"
            print(f"{label}: " + ", ".join(f"{classes[k]} {p[k]:.3f}" for k in top))
    return 0


COMMANDS = {"train": cmd_train, "models": cmd_models, "datasets": cmd_datasets,
            "summary": cmd_summary, "resume": cmd_resume, "evaluate": cmd_evaluate,
            "predict": cmd_predict, "lab": cmd_lab}


def main(argv=None):
    """Entry point of the ``glassnet`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args) or 0
    except (CLIError, CheckpointError) as e:  # a damaged or foreign checkpoint: one line, no traceback
        print(f"glassnet {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a run folder that cannot be written, a file that cannot be read
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"glassnet {args.command}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
