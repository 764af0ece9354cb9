"""A second opinion on z3 proofs: re-run a step's SMT-LIB 2 query with cvc5 (optional extra).

Every step z3 proves carries the unsatisfiable query (declared signs, translation side facts,
assumptions, negated claim) as SMT-LIB 2 text (:attr:`StepReport.smtlib`, the ``smtlib`` field of
a certificate), so a reviewer can re-run it with any SMT solver, without wideproof.  With the
``smt`` extra installed (``pip install wideproof[smt]``), :func:`recheck` does so with cvc5
(Barbosa et al. 2022, "cvc5: A Versatile and Industrial-Strength SMT Solver", TACAS), using its
cylindrical-algebraic-coverings procedure for nonlinear real arithmetic (``nl-cov``).  cvc5 runs
in a child process that is killed at the time limit: its own limits are not always honoured inside
that procedure.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from ..errors import ConfigError

__all__ = ["recheck"]

_SCRIPT = """
import sys
import cvc5

solver = cvc5.Solver(cvc5.TermManager())
solver.setLogic("ALL")
solver.setOption("nl-cov", "true")
parser = cvc5.InputParser(solver)
parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, sys.stdin.read(), "step")
symbols = parser.getSymbolManager()
while not (command := parser.nextCommand()).isNull():
    out = command.invoke(solver, symbols).strip()
    if out:
        print(out, flush=True)
"""


def recheck(smtlib: str, seconds: float = 10.0) -> str:
    """cvc5's answer to ``smtlib``: ``"unsat"`` confirms a proof; ``"sat"`` or ``"unknown ..."``
    does not.  Raises :class:`ConfigError` when cvc5 is not installed."""
    if importlib.util.find_spec("cvc5") is None:
        raise ConfigError("cvc5 is not installed: pip install 'wideproof[smt]'")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            input=smtlib,
            capture_output=True,
            text=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"unknown (cvc5 ran past {seconds} s)"
    answers = done.stdout.split()
    if done.returncode != 0 or not answers:
        return f"unknown (cvc5 failed: {' '.join(done.stderr.split())[:120]})"
    return answers[-1]
