"""The recurrent layer functions (lstm_layer, gru_layer, rnn_layer), forwards and reversed:
float64 finite-difference gradient checks."""

from __future__ import annotations

import pytest
from helpers import gradcheck

from glassnet.nn.functional import rnn as R


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_gradcheck(reverse, rng):
    T, B, I, H = 4, 2, 3, 3
    args = [rng.standard_normal((T, B, I)), rng.standard_normal((B, H)),
            rng.standard_normal((B, H)), rng.standard_normal((4 * H, I)) * 0.5,
            rng.standard_normal((4 * H, H)) * 0.5, rng.standard_normal(4 * H) * 0.5,
            rng.standard_normal(4 * H) * 0.5]
    gradcheck(lambda *a: R.lstm_layer(*a, reverse=reverse), args)


def test_gru_and_rnn_layer_gradcheck(rng):
    T, B, I, H = 4, 2, 3, 3
    x, h = rng.standard_normal((T, B, I)), rng.standard_normal((B, H))
    for G, fn in ((3, lambda *a: R.gru_layer(*a, reverse=True)),
                  (1, lambda *a: R.rnn_layer(*a, nonlinearity="tanh"))):
        w = [rng.standard_normal((G * H, I)) * 0.5, rng.standard_normal((G * H, H)) * 0.5,
             rng.standard_normal(G * H) * 0.5, rng.standard_normal(G * H) * 0.5]
        gradcheck(fn, [x, h, *w])
