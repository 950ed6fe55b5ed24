"""``tengen analysis``: KataGo's JSON analysis protocol, for KaTrain, q5Go and
web review services.

One JSON query a line on stdin, one JSON response a line on stdout, many
queries in flight, as KataGo's ``docs/Analysis_Engine.md`` defines it.
Modules: ``katago_rules`` (KataGo's rule names and objects onto tengen's
rules), ``queries`` (a line into a typed query or an error), ``positions``
(the games a query asks about), ``analyst`` (the search of one position and
what is read from it), ``responses`` (the JSON of a result), ``server``
(the line loop, the queue and the search threads), ``config`` and
``command`` (the command line, KataGo's shape included).
"""
