"""What only the command-line tools need, above :mod:`toolbox.apis`: the
tools' error reporting and exit codes (:mod:`~toolbox.app.errors`), the
input preflight (:mod:`~toolbox.app.input_check`), config loading and
Runner setup with the common options (:mod:`~toolbox.app.runner_setup`,
:mod:`~toolbox.app.amp_choice`), the train and test runs
(:mod:`~toolbox.app.runs`), the inputs' scores of a table
(:mod:`~toolbox.app.input_scores`), scores along the path from a model's
outputs to their targets (:mod:`~toolbox.app.score_path`), and the demo
chains: their catalogue (:mod:`~toolbox.app.demo_chains`) and how they run
(:mod:`~toolbox.app.demo`, with :mod:`~toolbox.app.progress_hook`).
Nothing below imports it.
"""
