"""``glassnet lab``: the claims of the course as experiments that can be run and can fail.

Each experiment states the claim a lecture makes, measures it, and sets the measurement beside
a reference (a published figure or the lecture's own statement, with its source). It writes
``DIR/NAME/result.json``, its figures (PNG) and ``report.md``::

    glassnet lab list
    glassnet lab run xor --quick --out runs/lab
    glassnet lab run all --quick --out runs/lab
    glassnet lab report runs/lab > RESULTS_LAB.md

In Python::

    from glassnet import lab
    result = lab.run("xor", out="runs/lab", quick=True)
    result["claims"]   # [{"claim": ..., "measured": ..., "reference": ..., "holds": ...}]

A claim that does not hold is reported as not holding: an experiment measures; it is not tuned
until it agrees. ``quick`` runs (small data, few epochs, a few minutes at most on two cores)
say what the full run adds.

Writing an experiment (``glassnet/lab/experiments/*.py``)::

    @experiment("xor", lecture="01 perceptron to MLP", claim="one hidden layer solves XOR",
                full="...what the full run adds...")
    def xor(lab):
        ...                               # lab.quick, lab.seed, lab.rng, lab.progress(...)
        lab.claim("a perceptron cannot fit XOR", measured="accuracy 0.75",
                  reference="Minsky and Papert 1969", holds=acc < 1)
        with lab.figure("decision-boundaries") as fig:
            ax = fig.subplots()
            ...
"""

from __future__ import annotations

from glassnet.lab.runner import (
    Experiment,
    Lab,
    experiment,
    get,
    names,
    registry,
    report_table,
    run,
)

__all__ = ["Experiment", "Lab", "experiment", "get", "names", "registry", "report_table",
           "run"]
