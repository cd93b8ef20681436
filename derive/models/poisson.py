"""Poisson regression with the log link: mu = e^z, L = mu - t log mu = e^z - t z (counts t >= 0)."""

import sympy as sp

from derive.model import Model, Rewrite, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, mu, t, L = sp.symbols("z mu t L")

MODEL = Model(
    name="poisson",
    title=CATALOGUE["poisson"],
    summary="Regression of counts: a linear score, the log link and the Poisson negative "
    "log-likelihood.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear score"),
        Stage(mu, sp.exp(z), "log link: the mean count"),
        Stage(L, mu - t * sp.log(mu), "Poisson negative log-likelihood, without log t!"),
    ),
    chain=(L, mu, z, w[j]),
    rewrites=(Rewrite(sp.exp(z), mu, "mu = e^z"),),
    index_bounds={j: D, jp: D},
    domains={"t": (0.0, 10.0)},
    nonnegative_targets=True,
    notes=(
        r"The negative log-likelihood of a count $t$ with mean $\mu$ is "
        r"$\mu - t \log \mu + \log t!$; the last term does not depend on the weights and is "
        r"dropped. Since $\log \mu = z$, the loss is $e^z - t z$.",
    ),
)
