"""A second opinion on z3 proofs: re-run a step's SMT-LIB 2 query with cvc5 (optional extra).

Every step z3 proves carries the unsatisfiable query (declared signs, translation side facts,
assumptions, negated claim) as SMT-LIB 2 text (:attr:`StepReport.smtlib`, the ``smtlib`` field of
a certificate), so a reviewer can re-run it with any SMT solver, without wideproof.  With the
``smt`` extra installed (``pip install wideproof[smt]``), :func:`recheck` does so with cvc5
(Barbosa et al. 2022, "cvc5: A Versatile and Industrial-Strength SMT Solver", TACAS), using its
cylindrical-algebraic-coverings procedure for nonlinear real arithmetic (``nl-cov``).
"""

from __future__ import annotations

from ..errors import ConfigError

__all__ = ["recheck"]


def recheck(smtlib: str, seconds: float = 10.0) -> str:
    """cvc5's answer to ``smtlib``: ``"unsat"`` confirms a proof; ``"sat"`` or ``"unknown ..."``
    does not.  Raises :class:`ConfigError` when cvc5 is not installed."""
    try:
        import cvc5
    except ImportError:
        raise ConfigError("cvc5 is not installed: pip install 'wideproof[smt]'") from None
    solver = cvc5.Solver(cvc5.TermManager())
    solver.setLogic("ALL")
    solver.setOption("nl-cov", "true")
    solver.setOption("tlimit-per", str(int(seconds * 1000)))
    parser = cvc5.InputParser(solver)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, smtlib, "step")
    symbols = parser.getSymbolManager()
    answers: list[str] = []
    while not (command := parser.nextCommand()).isNull():
        out = command.invoke(solver, symbols).strip()
        if out:
            answers.append(out)
    return answers[-1] if answers else "unknown (no check-sat)"
