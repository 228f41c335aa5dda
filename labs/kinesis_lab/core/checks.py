"""Self-checks for ungraded exercises: clear ✓ / ✗ / "not yet" lines that never raise.

Why: a "Your turn" cell must run even before the learner fills its blank (the notebook runs
top to bottom), so a blank (``...``) is reported as "not yet" instead of failing; a wrong answer
gets a hint, never the expected answer, unless the lesson explicitly asks to show it. The
printing checks and :func:`grade_choice` are plain Python (cheap to import, usable by graders);
:func:`self_check_question` imports ipywidgets only when a lesson builds a question.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

BLANK = ...  # what a "Your turn" cell holds until the learner replaces it
PASS_MARK = "✓"
FAIL_MARK = "✗"
TODO_MARK = "…"
REPR_LIMIT = 80


def is_blank(value: Any) -> bool:
    """True for the ``...`` a learner has not replaced yet."""
    return value is BLANK


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a learner's object with a broken __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "…"


def _type_note(got: Any, expected: Any) -> str:
    """A nudge when the value is right but the type is not (e.g. '3' instead of 3)."""
    if type(got) is type(expected):
        return ""
    try:
        same_text = str(got).strip() == str(expected).strip()
    except Exception:
        return ""
    if same_text:
        return (
            f" (the value looks right, but its type is {type(got).__name__}; "
            f"the check wants {type(expected).__name__})"
        )
    return ""


def check_equal(
    label: str,
    got: Any,
    expected: Any,
    hint: str | None = None,
    show_expected: bool = False,
) -> bool:
    """Print one ✓ / ✗ / "not yet" line comparing ``got`` with ``expected``; return True on a match.

    Never raises. The expected value is printed only with ``show_expected=True``: in a
    "Your turn" exercise the learner gets a hint (after a wrong try) instead of the answer.
    """
    try:
        if is_blank(got):  # no hint yet: the blank's own comment says what to do
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your answer.")
            return False
        try:
            matched = bool(got == expected)
        except Exception:
            matched = False
        if matched:
            print(f"{PASS_MARK} {label}: {_short(got)}")
            return True
        line = f"{FAIL_MARK} {label}: you have {_short(got)}{_type_note(got, expected)}"
        if show_expected:
            line += f"; expected {_short(expected)}"
        print(line + (f"\n    hint: {hint}" if hint else ""))
        return False
    except Exception as error:  # a check must never stop the lesson
        print(f"{FAIL_MARK} {label}: could not check this answer ({type(error).__name__}).")
        return False


def normalize_shard_id(value: Any) -> Any:
    """Accept 3, '3' or 'shardId-000000000003' for the same shard; leave anything else alone."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"shardId-{value:012d}"
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return f"shardId-{int(text):012d}"
        return text
    return value


def check_shard_predictions(
    predictions: Mapping[str, Any], actual: Mapping[str, str], hint: str | None = None
) -> bool:
    """Compare predicted shards with where PutRecord really put each key; True if all right.

    ``predictions`` maps partition key → predicted shard (a ShardId, or just its number);
    ``actual`` maps partition key → the ShardId PutRecord returned. A key still blank
    (``...``) is "not yet" and its actual shard is not shown, so nothing is given away before
    the learner has tried.
    """
    try:
        right = wrong = blank = 0
        for key, actual_shard in actual.items():
            predicted = predictions.get(key, BLANK)
            if is_blank(predicted):
                blank += 1
                print(f"{TODO_MARK} {key!r}: not yet — replace the ... with your prediction.")
                continue
            if normalize_shard_id(predicted) == actual_shard:
                right += 1
                print(f"{PASS_MARK} {key!r} → {actual_shard}")
            else:
                wrong += 1
                print(
                    f"{FAIL_MARK} {key!r}: you predicted {_short(predicted)}, "
                    f"PutRecord put it in {actual_shard}"
                )
        extra = [k for k in predictions if k not in actual]
        if extra:
            print(f"  (no record was written for {', '.join(map(repr, extra))})")
        total = len(actual)
        if blank == total:
            print(f"Not yet: {total} prediction(s) to fill in.")
        elif right == total:
            print(f"All {total} predictions right.")
        else:
            summary = f"{right} of {total} predictions right"
            summary += f", {blank} not yet." if blank else "."
            print(summary)
            if wrong and hint:
                print(f"    hint: {hint}")
        return total > 0 and right == total
    except Exception as error:
        print(f"{FAIL_MARK} could not check the predictions ({type(error).__name__}).")
        return False


class ChoiceGrade(NamedTuple):
    """The verdict on one multiple-choice answer: correct is None when nothing was chosen."""

    correct: bool | None
    message: str


def grade_choice(choice: Any, answer: Any) -> ChoiceGrade:
    """Grade a multiple-choice answer (option text or index, the same kind for both)."""
    if choice is None:
        return ChoiceGrade(None, "Pick an answer first.")
    if choice == answer:
        return ChoiceGrade(True, f"{PASS_MARK} Correct.")
    return ChoiceGrade(False, f"{FAIL_MARK} Not quite — read the options again and retry.")


def _inline_markup(text: str) -> str:
    """Escape text, then turn `code` spans into <code> (questions quote API names)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def resolve_answer(options: Sequence[str], answer: int | str) -> str:
    """The option text of the answer, given as an index or as the text itself."""
    if isinstance(answer, int) and not isinstance(answer, bool):
        return options[answer]
    if answer not in options:
        raise ValueError(f"the answer {answer!r} is not one of the options")
    return answer


def self_check_question(
    question: str, options: Sequence[str], answer: int | str, explanation: str
) -> Any:
    """A multiple-choice self-check: RadioButtons, a Check button and feedback.

    The explanation appears once the learner answers correctly, or when they ask for the
    answer ("Show answer" appears after a wrong try) — never before they have tried.
    """
    import ipywidgets as widgets

    options = list(options)
    correct_option = resolve_answer(options, answer)

    prompt = widgets.HTML(f"<b>{_inline_markup(question)}</b>")
    choices = widgets.RadioButtons(options=options, value=None, layout=widgets.Layout(width="auto"))
    check_button = widgets.Button(description="Check", button_style="primary")
    show_button = widgets.Button(description="Show answer", layout=widgets.Layout(display="none"))
    feedback = widgets.HTML()

    def explained(prefix: str) -> str:
        return f"{prefix}<br>{_inline_markup(explanation)}"

    def on_check(_: Any) -> None:
        grade = grade_choice(choices.value, correct_option)
        text = html.escape(grade.message)
        if grade.correct:
            feedback.value = explained(f"<span style='color:#1a7f37'>{text}</span>")
        elif grade.correct is False:
            feedback.value = f"<span style='color:#c00000'>{text}</span>"
            show_button.layout.display = None
        else:
            feedback.value = text

    def on_show(_: Any) -> None:
        feedback.value = explained(f"Answer: <b>{_inline_markup(correct_option)}</b>")

    check_button.on_click(on_check)
    show_button.on_click(on_show)
    box = _self_check_box_class()(
        [prompt, choices, widgets.HBox([check_button, show_button]), feedback]
    )
    box.question_text = question
    box.option_texts = tuple(options)
    return box


@functools.cache
def _self_check_box_class() -> type:
    """The question's container, defined on first use so importing checks stays light."""
    import ipywidgets as widgets

    class SelfCheckBox(widgets.VBox):
        """A VBox that shows its question and options as plain text where widgets cannot."""

        question_text = ""
        option_texts: tuple[str, ...] = ()

        def plain_text(self) -> str:
            letters = "abcdefghijklmnopqrstuvwxyz"
            lines = [f"Self-check: {self.question_text}"]
            lines += [f"  ({letters[i]}) {o}" for i, o in enumerate(self.option_texts)]
            return "\n".join(lines)

        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            bundle = super()._repr_mimebundle_(**kwargs)
            bundle["text/plain"] = self.plain_text()
            return bundle

    return SelfCheckBox


# --- the reporter every resource check uses: one line, ✓ / ✗ / "not yet", never raises -------


def passed(label: str, what: str) -> bool:
    print(f"{PASS_MARK} {label}: {what}")
    return True


def failed(label: str, what: str, hint: str | None = None) -> bool:
    print(f"{FAIL_MARK} {label}: {what}" + (f"\n    hint: {hint}" if hint else ""))
    return False


def not_yet(label: str, what: str) -> bool:
    """The learner's cell is still blank or its resource is not there yet: not an error."""
    print(f"{TODO_MARK} {label}: not yet — {what}")
    return False


def could_not_check(label: str, error: BaseException) -> bool:
    """A check met an unexpected error: say so in one line (a check must never stop a lesson)."""
    print(f"{FAIL_MARK} {label}: could not check ({type(error).__name__}: {error})"[:300])
    return False
