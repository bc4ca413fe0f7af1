#!/usr/bin/env python3
"""A complete planj subprocess agent in Python: goal analyzer, planner, executor, reviewer, judge and tool in one program.

planj starts it once per role (`--planner cmd:python3 tools/agents/example_agent.py`) and speaks
JSON Lines over stdin/stdout. Each request is one line:

    {"id": 7, "method": "analyze" | "plan" | "execute" | "review" | "judge" | "tool", "params": {...}}

and the program answers each with one line carrying the same id (in any order):

    {"id": 7, "result": {...}}
    {"id": 7, "error": {"type": "timeout", "message": "...", "retryable": true}}

Methods, their params and results:
  plan     {goal, tools, previous, completed, replan, other_failures, analysis, review}
                                                      ->  {steps: [...], rationale, calls: [...]}
  execute  {run, goal, step, attempt, dependency_outputs, tools}
                                                      ->  {output, summary, calls: [...], tool_calls: [...]}
  review   {goal, version, steps}                     ->  {verdict, score, comments, steps, calls: [...]}
  judge    {goal, step, output}                       ->  {matches, reason, calls: [...]}
  tool     {name, args}                               ->  {ok, content, content_type}

`calls` are model calls to journal ({model, purpose, prompt, response, usage: {input_tokens,
output_tokens}, latency_ms, cost_usd}); `tool_calls` are tool calls the executor made itself
({tool, args, ok, content, content_type, duration_ms}). Anything written to stderr is shown to the
user. This agent needs no network: it counts words in the goal.

Set EXAMPLE_AGENT_FAIL=step_id to make that step fail once per attempt (to see retries and a
replan), EXAMPLE_AGENT_SLEEP=seconds to slow every step down, EXAMPLE_AGENT_STALL=step_id to make
that step hang until planj goes away (to kill a run mid-step, as a crash would),
EXAMPLE_AGENT_REVIEW=changes_requested|amended to make the reviewer send the first plan back to the
planner (who then answers the review) or amend it itself.
"""
import json
import os
import sys
import time

FAIL = os.environ.get("EXAMPLE_AGENT_FAIL", "")
SLEEP = float(os.environ.get("EXAMPLE_AGENT_SLEEP", "0"))
STALL = os.environ.get("EXAMPLE_AGENT_STALL", "")
REVIEW = os.environ.get("EXAMPLE_AGENT_REVIEW", "")


def call(purpose, prompt, response):
    """A model call record, as if a model had been asked."""
    return {
        "model": "example-agent-1",
        "purpose": purpose,
        "prompt": prompt,
        "response": response,
        "usage": {"input_tokens": len(prompt.split()), "output_tokens": len(response.split())},
        "latency_ms": 1.0,
        "cost_usd": 0.0,
    }


def plan(params):
    goal = params["goal"]
    words = goal.split()
    half = max(1, len(words) // 2)
    steps = [
        {"id": "count_first_half", "description": "Count the words of the goal's first half",
         "args": {"text": " ".join(words[:half])}, "expected_output": "a number"},
        {"id": "count_second_half", "description": "Count the words of the goal's second half",
         "args": {"text": " ".join(words[half:])}, "expected_output": "a number"},
        {"id": "total", "description": "Add the two counts", "depends_on": ["count_first_half", "count_second_half"],
         "expected_output": "the number of words in the goal"},
    ]
    replan = params.get("replan")
    review = params.get("review")
    if review:
        # The reviewer sent the plan back: say in each step what it counts, as it asked.
        for s in steps:
            s["description"] += " (a count of words)"
        return {"steps": steps, "rationale": "revised for the reviewer: " + "; ".join(review["comments"]),
                "calls": [call("replan", goal, json.dumps(steps))]}
    if replan and replan.get("step_id") == FAIL:
        # Route around the failing step: count its half again under a new id.
        failed = replan["step_id"]
        for s in steps:
            if s["id"] == failed:
                s["id"] = failed + "_retry"
            s["depends_on"] = [d + "_retry" if d == failed else d for d in s.get("depends_on", [])]
    return {"steps": steps, "rationale": "split the goal in two halves counted in parallel",
            "calls": [call("replan" if replan else "plan", goal, json.dumps(steps))]}


def execute(params):
    step = params["step"]
    if SLEEP:
        time.sleep(SLEEP)
    if step["id"] == STALL:
        # Hang like a step that never returns, and leave once planj is gone (killed): no orphan left.
        parent = os.getppid()
        while os.getppid() == parent:
            time.sleep(0.05)
        os._exit(0)
    if step["id"] == FAIL:
        raise StepError("example_failure", f"step {step['id']} fails on purpose (EXAMPLE_AGENT_FAIL)", True)
    deps = params.get("dependency_outputs", {})
    tool_calls = []
    if deps:
        output = str(sum(int(v) for v in deps.values()))
    else:
        text = (step.get("args") or {}).get("text", "")
        started = time.time()
        output = str(len(text.split()))
        tool_calls.append({"tool": "word_count", "args": {"text": text}, "ok": True, "content": output,
                           "content_type": "text/plain", "duration_ms": (time.time() - started) * 1000})
    return {"output": output, "summary": f"{step['id']} = {output}",
            "calls": [call("execute", step.get("description", ""), output)], "tool_calls": tool_calls}


def analyze(params):
    return {"summary": f"count words for: {params['goal']}", "constraints": ["use only " + ", ".join(params["tools"] or ["no tools"])],
            "success_criteria": ["every step's output is a number"]}


def review(params):
    if params["version"] == 1 and REVIEW == "changes_requested":
        return {"verdict": "changes_requested", "score": 0.5, "comments": ["say what each step counts"]}
    if params["version"] == 1 and REVIEW == "amended":
        steps = params["steps"]
        for s in steps:
            s["description"] += " (amended by the reviewer)"
        return {"verdict": "amended", "score": 0.8, "comments": ["descriptions amended"], "steps": steps}
    return {"verdict": "approved", "score": 1.0, "comments": [f"{len(params['steps'])} steps look fine"]}


def judge(params):
    # A number is what every step of this agent should produce.
    output = params["output"].strip()
    return {"matches": output.isdigit(), "reason": "a number" if output.isdigit() else "not a number"}


def tool(params):
    if params["name"] == "word_count":
        return {"ok": True, "content": str(len(str(params["args"].get("text", "")).split()))}
    return {"ok": False, "content": f"unknown tool {params['name']}"}


class StepError(Exception):
    def __init__(self, type_, message, retryable):
        super().__init__(message)
        self.type, self.retryable = type_, retryable


METHODS = {"analyze": analyze, "plan": plan, "execute": execute, "review": review, "judge": judge, "tool": tool}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = {"id": request["id"], "result": METHODS[request["method"]](request["params"])}
        except StepError as e:
            reply = {"id": request["id"], "error": {"type": e.type, "message": str(e), "retryable": e.retryable}}
        except Exception as e:  # a bug in the agent: report it, keep serving
            reply = {"id": request["id"], "error": {"type": type(e).__name__, "message": str(e), "retryable": False}}
        try:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # planj went away (killed, or the run ended): nothing to answer
            os._exit(0)


if __name__ == "__main__":
    main()
