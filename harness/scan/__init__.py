"""``telltale scan URL``: crawl a site, find its forms and fields, write a scenario per form and strategy.

``crawl.py`` walks same-site links in a real browser behind the capturing proxy; ``fields.py`` finds and classifies
the fields of a page; ``plan.py`` decides what to test per form; ``scenario_yaml.py`` writes each test as a scenario
YAML that ``telltale run`` replays. The CLI then runs them through the one pipeline.
"""
