"""Reading a document: definitions, cases, sections, and what is not understood (and why)."""

from __future__ import annotations

from derive.checking import check


def verdicts(text: str) -> list[tuple[str, str]]:
    return [(s.verdict, s.detail) for s in check(text).steps]


def test_definitions_are_substituted_inside_derivatives() -> None:
    text = "Let $y = \\frac{1}{1+e^{-z}}$.\n\n$$\\frac{\\partial y}{\\partial z} = y(1-y)$$"
    report = check(text)
    assert [s.verdict for s in report.steps] == ["proved"]
    assert [d.text for d in report.definitions] == [r"y = \frac{1}{1+e^{-z}}"]


def test_a_displayed_definition_is_not_a_step_but_a_restatement_is() -> None:
    text = "Let $y = 2x$.\n\n$$y = x + x$$\n\n$$y = 3x$$"
    assert [v for v, _ in verdicts(text)] == ["proved", "refuted"]


def test_a_second_displayed_formula_for_a_name_is_a_new_definition() -> None:
    """ "The softmax loss is $$L_i = ...$$ ... the SVM loss is $$L_i = ...$$": two definitions."""
    text = "$$y = 2x$$\n\n$$y = x + x$$\n\n$$y = 3x$$\n\n$$y = x + 2x$$"
    report = check(text)
    assert [s.verdict for s in report.steps] == ["proved", "proved"]
    assert [d.text for d in report.definitions] == ["y = 2x", "y = 3x"]


def test_a_chain_starting_with_a_new_name_defines_it() -> None:
    text = r"$$\mathcal{L} = \frac{1}{2}(y-t)^2 = \frac{1}{2}(y^2 - 2yt + t^2)$$"
    assert [v for v, _ in verdicts(text)] == ["proved"]


def test_argument_lists_are_names_not_products() -> None:
    text = "Let $\\mathcal{L}(y) = y^2$.\n\n$$\\frac{\\partial \\mathcal{L}(y)}{\\partial y} = 2y$$"
    assert [v for v, _ in verdicts(text)] == ["proved"]


def test_family_definition_and_one_hot_target() -> None:
    text = (
        "Let $y_k = \\frac{e^{z_k}}{\\sum_{k'} e^{z_{k'}}}$ and $t_T = 1$.\n\n"
        "$$\\frac{\\partial y_T}{\\partial z_T} = y_T(1 - y_T)$$\n\n"
        "$$\\sum_{k=1}^{K} t_k y_k = y_T$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved", "proved"]


def test_cases_hold_until_the_next_case() -> None:
    text = (
        "Let $y_k = \\frac{e^{z_k}}{\\sum_{k'} e^{z_{k'}}}$.\n\n"
        "If $k = T$: $$\\frac{\\partial y_T}{\\partial z_k} = y_k(1 - y_k)$$\n\n"
        "If $k \\neq T$: $$\\frac{\\partial y_T}{\\partial z_k} = -y_T y_k$$\n\n"
        "$$\\frac{\\partial y_T}{\\partial z_k} = y_k(1 - y_k)$$"
    )
    report = check(text)
    assert [s.verdict for s in report.steps] == ["proved", "proved", "refuted"]
    assert [s.case for s in report.steps] == ["k = T", "k != T", "k != T"]


def test_a_new_section_may_redefine_a_name() -> None:
    text = "# One\n$y = 2x$\n$$y = x + x$$\n# Two\n$y = 3x$\n$$y = x + 2x$$"
    assert [v for v, _ in verdicts(text)] == ["proved", "proved"]


def test_a_vector_equated_with_a_number_is_unknown() -> None:
    text = (
        "Let $y_k = \\frac{e^{z_k}}{\\sum_{k'} e^{z_{k'}}}$.\n\n"
        "$$\\frac{\\partial y}{\\partial z_k} = \\frac{\\partial y_T}{\\partial z_k}$$"
    )
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "one side is a vector" in detail


def test_a_vector_used_whole_is_read_entry_by_entry() -> None:
    """The chain rule through the softmax vector y, and a gradient by y, checked per entry."""
    text = (
        "Let $y_k = \\frac{e^{z_k}}{\\sum_{k'} e^{z_{k'}}}$, $t_T = 1$ and "
        "$L = -t^T \\log y$.\n\n"
        "$$\\frac{\\partial L}{\\partial y} \\cdot \\frac{\\partial y}{\\partial z_k}"
        " = y_k - t_k$$\n\n"
        "$$\\frac{\\partial L}{\\partial y} = -\\frac{t}{y}$$\n\n"
        "$$\\frac{\\partial L}{\\partial y} = -\\frac{1}{y}$$"
    )
    got = [v for v, _ in verdicts(text)]
    assert got[0] in ("proved", "verified") and got[1] in ("proved", "verified")
    assert got[2] == "refuted"


def test_undefined_derivative_is_unknown_not_zero() -> None:
    ((verdict, detail),) = verdicts(r"$$\frac{\partial L}{\partial w} = x$$")
    assert verdict == "unknown" and "not defined" in detail


def test_per_example_quantities_on_one_side_only_are_unknown() -> None:
    text = (
        "Let $J = \\frac{1}{2}(w x - t)^2$.\n\n"
        "$$\\frac{\\partial J}{\\partial w} = \\frac{1}{N}\\sum_{i=1}^N (w x^{(i)} - t^{(i)})"
        " x^{(i)}$$"
    )
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "per-example" in detail


def test_log_arguments_are_sampled_where_logs_are_defined() -> None:
    """log(ab) = log a + log b holds for positive a, b: verified, not refuted."""
    assert [v for v, _ in verdicts(r"$$\log(ab) = \log a + \log b$$")] == ["verified"]


def test_step_numbers_count_equalities_within_a_block() -> None:
    text = "$$a = 1$$\n\n$$\\begin{aligned} 2a &= a + a \\\\ &= 2 \\end{aligned}$$"
    report = check(text)
    assert [(s.line, s.block, s.step) for s in report.steps] == [(3, 2, 1), (3, 2, 2)]


def test_a_contradicting_inline_restatement_leaves_the_name_undefined() -> None:
    text = (
        "Let $y = 2x$.\n\nAgain $y = 2x$, and later $y = 3x$.\n\n"
        "$$\\frac{\\partial y}{\\partial x} = 2$$"
    )
    report = check(text)
    ((verdict, detail),) = [(s.verdict, s.detail) for s in report.steps]
    assert verdict == "unknown" and "y is not defined" in detail
    assert "contradicts the definition on line 1" in report.definitions[-1].text


def test_a_restatement_that_holds_in_the_current_case_is_kept() -> None:
    text = "Let $t_T = 1$. If $k = T$, then $t_k = 1$:\n\n$$y_k - t_k = y_k - 1$$"
    assert [s.verdict for s in check(text).steps] == ["proved"]


def test_prime_of_a_function_defined_with_its_argument_is_its_derivative() -> None:
    text = (
        "Let $f(x) = x^2 e^{x}$.\n\n$$f'(x) = 2x e^{x} + x^2 e^{x}$$\n\n"
        "$$f''(x) = 2 e^{x} + 4x e^{x} + x^2 e^{x}$$\n\n$$f'(x) = 2x e^{x}$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved", "proved", "refuted"]


def test_what_reads_as_an_unknown_function_is_unknown_not_a_product() -> None:
    for text in (
        r"$$\frac{d}{dz} g(z) = g(z)(1 - g(z))$$",
        r"$$\frac{d}{dx} \phi(x) = x$$",
        r"$$\mathbb{E}[X^2] = \mathbb{E}[X]^2$$",
    ):
        assert [v for v, _ in verdicts(text)] == ["unknown"], text


def test_a_function_defined_once_applies_to_any_argument() -> None:
    text = (
        "Let $g(z) = \\frac{1}{1+e^{-z}}$, $h_\\theta(x) = g(\\theta^T x)$, $f(x) = x^2$.\n\n"
        "$$f(2) = 4$$\n\n$$g(-z) = 1 - g(z)$$\n\n"
        "$$g'(\\theta^T x) = h_\\theta(x)(1 - h_\\theta(x))$$\n\n"
        "$$\\frac{\\partial h_\\theta(x)}{\\partial \\theta_j} = h_\\theta(x)(1-h_\\theta(x)) x_j$$"
        "\n\n$$f(3) = 4$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved"] * 4 + ["refuted"]


def test_e_is_a_variable_where_the_document_defines_it() -> None:
    text = "Let $e = y - t$.\n\n$$\\frac{\\partial}{\\partial y} \\frac{1}{2} e^2 = e$$"
    assert [v for v, _ in verdicts(text)] == ["proved"]


def test_a_definition_that_was_not_read_never_lets_a_step_be_refuted() -> None:
    """p_1 is defined with notation the reader does not know: p_1 = 2 p_2 is not refuted (it
    depends on p_1), p_1 + p_2 = 3 is (it is false whatever p_1 is)."""
    text = (
        "Let $p_1 = \\foo{z_1}$ and $p_2 = 1 - p_1$.\n\n$$p_1 = 2 p_2$$\n\n"
        "$$p_1 + p_2 = 3$$\n\n$$p_1 + p_2 = 1$$"
    )
    (first, why), (second, _), (third, _) = verdicts(text)
    assert first == "unknown" and "p_1 has a definition or constraint above" in why
    assert "line 1" in why
    assert (second, third) == ("refuted", "proved")


def test_concrete_subscripts_define_names() -> None:
    text = (
        "$p_1 = \\frac{e^{z_1}}{e^{z_1}+e^{z_2}}$, $p_2 = \\frac{e^{z_2}}{e^{z_1}+e^{z_2}}$.\n\n"
        "$$p_1 + p_2 = 1$$\n\n$$\\frac{\\partial p_1}{\\partial z_2} = p_1 p_2$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved", "refuted"]


def test_counterexamples_respect_stated_domains() -> None:
    positive = "For $\\delta > 0$:\n\n$$\\sqrt{\\delta^2} = \\delta$$"
    assert [v for v, _ in verdicts(positive)] in (["proved"], ["verified"])
    labels = "With $y \\in \\{-1, 1\\}$:\n\n$$y^2 = 1$$\n\n$$y^3 = 1$$"
    got = check(labels).steps
    assert got[0].verdict in ("proved", "verified") and got[1].verdict == "refuted"
    unit = "Let $p \\in (0, 1)$.\n\n$$|p| + |1 - p| = 1$$"
    assert [v for v, _ in verdicts(unit)] in (["proved"], ["verified"])


def test_a_size_the_text_fixes_is_used() -> None:
    for fixed in ("$K = 3$", "three classes"):
        text = (
            f"There are {fixed}: $y_k = \\frac{{e^{{z_k}}}}{{\\sum_{{j=1}}^{{K}} e^{{z_j}}}}$.\n\n"
            "$$y_1 + y_2 + y_3 = 1$$"
        )
        assert [v for v, _ in verdicts(text)] == ["proved"], fixed


def test_a_point_is_not_a_definition() -> None:
    """ "At $q = p$" names a point: q keeps its meaning as a variable."""
    text = (
        "Let $D = (p - q)^2$. At $q = p$ it vanishes.\n\n"
        "$$\\frac{\\partial D}{\\partial q} = 2(q - p)$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved"]


def test_softmax_written_as_an_operator() -> None:
    text = (
        "The scores are $z_k = w_k^T x$ and $y = \\operatorname{softmax}(z)$, with loss "
        "$L = -\\log y_T$.\n\n"
        "$$y_k = \\operatorname{softmax}(z)_k = \\frac{e^{z_k}}{\\sum_{j} e^{z_j}}$$\n\n"
        "$$\\frac{\\partial L}{\\partial z_k} = y_k - \\mathbb{1}(k = T)$$\n\n"
        "$$\\frac{\\partial L}{\\partial z_k} = y_k$$"
    )
    assert [v for v, _ in verdicts(text)] == ["proved", "proved", "proved", "refuted"]


def test_a_prime_on_a_name_defined_in_one_variable_is_its_derivative() -> None:
    text = "Let $y = x^2$.\n\n$$y' = 2x$$\n\n$$y'' = 2$$\n\n$$y' = 3x$$"
    assert [v for v, _ in verdicts(text)] == ["proved", "proved", "refuted"]


def test_a_quadratic_form_with_a_matrix_is_not_read_as_a_dot_product() -> None:
    ((verdict, detail),) = verdicts(r"$$\frac{\partial}{\partial x} x^T A x = 2 A x$$")
    assert verdict == "unknown" and "matrix product" in detail


def test_a_family_defined_member_by_member_is_not_read_at_other_indices() -> None:
    text = (
        "Let $p_1 = \\frac{e^{z_1}}{e^{z_1}+e^{z_2}}$ and $p_2 = 1 - p_1$.\n\n"
        "$$\\sum_{k=1}^{2} p_k = 2$$"
    )
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "member by member (p_1, p_2)" in detail


def test_a_line_with_a_condition_in_words_is_not_refuted() -> None:
    text = (
        "Let $p = \\sigma(z)$ and $\\ell = -[y \\log p + (1-y)\\log(1-p)]$.\n\n"
        "$$\\ell = \\log(1 + e^{-z}) \\text{ if } y = 1$$"
    )
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "condition written after it" in detail


def test_a_derivative_of_undefined_names_by_another_variable_is_unknown() -> None:
    """d/dx (u/v) with u, v never defined: how they depend on x is not known (not 0)."""
    text = r"$$\frac{d}{dx}\left(\frac{u}{v}\right) = \frac{u'v - uv'}{v^2}$$"
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "how they depend on it is not known" in detail


def test_a_constraint_on_a_vector_stated_inline_blocks_refutations() -> None:
    """a_j - y_j needs sum_j y_j = 1: with the constraint stated, the step is not refuted."""
    text = (
        "Let $C = -\\sum_{j} y_j \\ln a_j$ with $a_j = \\frac{e^{z_j}}{\\sum_k e^{z_k}}$ and "
        "$\\sum_j y_j = 1$.\n\n$$\\frac{\\partial C}{\\partial z_j} = a_j - y_j$$"
    )
    ((verdict, detail),) = verdicts(text)
    assert verdict == "unknown" and "is a constraint" in detail
