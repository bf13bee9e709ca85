"""Queries: each module answers one kind of question from the read model as plain data.

`cli/` and `web/` ask these (and `projections.session` for the read model); the table writers beside this
package (history, mastery, runner, rebuild) never import them.
"""
