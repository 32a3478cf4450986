"""Code that runs inside a job or model process, next to the SageMaker-style job tree.

Nothing here imports the platform's other layers: the process gets everything it needs from
the tree and a few TSUKURU_* variables, so it runs the same under any executor.
"""
