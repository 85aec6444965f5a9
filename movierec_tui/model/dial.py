"""The mainstream dial (issue 17.4): how much the ranking trades the movie's popularity for taste.

The served score is cosine / temperature + popularity logit + the linear part, searched as one inner
product whose query carries the popularity logit's weight in a coordinate of its own
(`MovieTable.query`). The dial changes only that weight, so every search (recommend, rows, the
tie-break of "more like") honours it inside Milvus's top k, not by filtering a finished list.

At 0 the weight is the model's own, 1: today's ranking, exactly. Turning the dial up moves the
weight linearly to a negative one, so that at 1 a movie one standard deviation of popularity above
another needs a cosine `COSINE_PER_STD` higher to rank with it. The weight is in units of the
model's own logits and temperature, so a retrained model keeps the same meaning for the dial.

COSINE_PER_STD was chosen by measurement (docs/benchmarks.md, "The mainstream dial"): on ML-1M,
0.09 takes the mean popularity percentile of the top 10 from about 97 to the mid 70s at 1 in
roughly even steps; much beyond it the top 10 fills with movies almost nobody rated.
"""

from __future__ import annotations

import numpy as np

COSINE_PER_STD = 0.09


def popularity_weight(novelty: float, popularity: np.ndarray, temperature: float) -> float:
    """The weight of the popularity logit in the score at dial setting `novelty` (0..1): 1 at 0,
    then linearly down to -COSINE_PER_STD / (temperature x the logits' standard deviation) at 1."""
    if novelty <= 0.0:
        return 1.0
    spread = float(np.std(popularity)) if len(popularity) else 0.0
    if spread <= 0.0:  # a model without popularity logits: nothing to trade
        return 1.0
    strongest = -COSINE_PER_STD / (temperature * spread)
    return float(1.0 + min(novelty, 1.0) * (strongest - 1.0))
