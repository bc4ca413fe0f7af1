#!/usr/bin/env python3
"""A small OpenAI-compatible chat-completions server on loopback, for tests and offline trials.

    python3 tools/fake_openai.py --model planner-m [--port 0] [--require-key KEY] [--fail-first N]
                                 [--malformed-plan] [--differ-step ID] [--log FILE] [--exit-with-stdin]
                                 [--dialect openai|variant|functions] [--error-first N]
                                 [--reply-format json|gzip|chunked|sse|sse-error|sse-cut|json-as-sse|bom|html|empty]
                                 [--finish-reason REASON] [--redirect CODE --redirect-to URL] [--hang]
                                 [--strict-model]

Prints `listening on http://127.0.0.1:PORT/v1` on stdout once it accepts connections, then serves
POST /v1/chat/completions until killed. What it answers depends on the request's system message:
- a planner prompt ("planner"): a plan in a ```json block (three steps: two in parallel, one after
  both; on a replan, the failing step gets a `_v2` twin), or prose with no plan (--malformed-plan);
- a review prompt ("Review"): {"verdict": "approved", ...};
- a goal analysis prompt ("Analyze the goal"): {"summary", "constraints", "success_criteria"};
- anything else is an executor request for "Step ID: ...": when the request offers tools and has
  no tool result yet, a function call to the first tool; otherwise the answer text
  "MODEL did STEP", or "MODEL did STEP differently" for --differ-step (and "... (after a different
  input)" for steps whose dependency outputs say "differently").
--fail-first N answers the first N requests with 429 (Retry-After: 0, or --retry-after S); --error-first N answers them
with HTTP 200 and an `error` object instead, as some proxies do. --dialect variant speaks the way
other OpenAI-compatible servers do: `content` as an array of text parts, tool-call `arguments` as
an object, `usage` as input_tokens/output_tokens, and plans and answers after a <think> section (with braces in it);
--dialect functions asks for tools with the older `function_call` field and reads their results
from `function` messages. --require-key answers 401
unless `Authorization: Bearer KEY`. --log appends one JSON line per request: path, authorization,
model, the last message, the Host and X-Api-Key headers.
--reply-format sends the 200 reply gzip-compressed, in chunks, as a server-sent event stream of
chat.completion.chunk deltas (sse-error: with a proxy's error chunk after a few of them; sse-cut:
cut off after a few), as JSON labelled text/event-stream (json-as-sse), with a UTF-8 BOM before it, or not a completion at all (an HTML page, an
empty body). --finish-reason sets every reply's finish_reason (`length` also cuts a
plan's text in half). --redirect 307 --redirect-to URL answers requests whose path does not start
with /moved/ with that redirect. --hang reads requests and never answers. --strict-model answers
404 (model_not_found) to requests for another model than --model. The server also answers
requests sent to it as an HTTP proxy: a request line with the absolute URL, or a CONNECT, which it
answers itself (as if the tunnel led to it), logging {"connect": "HOST:PORT"}.
"""
import gzip
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

args = None
lock = threading.Lock()
counter = {"requests": 0}


def plan_reply(messages):
    user = messages[-1]["content"]
    steps = [
        {"id": "research", "description": "Collect the facts", "expected_output": "facts"},
        {"id": "outline", "description": "Outline the answer", "expected_output": "an outline"},
        {"id": "write", "description": "Write the answer", "depends_on": ["research", "outline"],
         "expected_output": "the answer"},
    ]
    m = re.search(r"Replan because \w+ at step (\S+?)[:.]", user)
    if m:
        failed = m.group(1)
        for s in steps:
            if s["id"] == failed:
                s["id"] = failed + "_v2"
            s["depends_on"] = [d + "_v2" if d == failed else d for d in s.get("depends_on", [])]
    return "Here is the plan:\n```json\n" + json.dumps({"rationale": "two parallel steps, then write", "steps": steps}) + "\n```"


def executor_reply(body):
    messages = body["messages"]
    user = next((m["content"] for m in messages if m.get("role") == "user"), "")
    m = re.search(r"Step (\S+?):", user)
    step = m.group(1) if m else "?"
    tools = body.get("tools") or []
    has_tool_result = any(msg.get("role") in ("tool", "function") for msg in messages)
    if tools and not has_tool_result:
        name = tools[0]["function"]["name"]
        return {"role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": name, "arguments": json.dumps({"step": step})}}]}
    text = f"{args.model} did {step}"
    if step == args.differ_step:
        text += " differently"
    elif "differently" in user:
        text += " (after a different input)"
    if has_tool_result:
        text += " using " + next(m["content"] for m in messages if m.get("role") in ("tool", "function"))
    return {"role": "assistant", "content": text}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, obj, headers=None, data=None, content_type="application/json"):
        data = json.dumps(obj).encode() if data is None else data
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_completion(self, reply):
        """A 200 reply holding the completion `reply`, in the --reply-format."""
        data = json.dumps(reply).encode()
        form = args.reply_format
        if form == "gzip":
            return self.send(200, None, {"Content-Encoding": "gzip"}, data=gzip.compress(data))
        if form == "bom":
            return self.send(200, None, data=b"\xef\xbb\xbf" + data)
        if form == "nonutf8":
            # Bytes that are not UTF-8 inside the content (a character split between two tokens).
            return self.send(200, None, data=data.replace(b" did ", b" did \xff\xfe "))
        if form == "vllm-error":
            return self.send(200, {"object": "error", "message": "This model's maximum context length is 4096 tokens",
                                   "type": "BadRequestError", "code": 400})
        if form == "refusal":
            message = {"role": "assistant", "content": None, "refusal": "I'm sorry, I can't help with that."}
            return self.send(200, dict(reply, choices=[{"index": 0, "message": message, "finish_reason": "stop"}]))
        if form == "html":
            return self.send(200, None, data=b"<html><body><h1>Welcome to nginx!</h1></body></html>", content_type="text/html")
        if form == "empty":
            return self.send(200, None, data=b"")
        if form in ("sse", "sse-noindex"):
            return self.send(200, None, data=sse(reply), content_type="text/event-stream")
        if form == "json-as-sse":
            # A plain completion labelled as an event stream.
            return self.send(200, None, data=data, content_type="text/event-stream")
        if form == "sse-error":
            # A proxy's report of an upstream failure in the middle of the stream.
            events = sse(reply).split(b"\n\n")
            error = {"error": {"message": "Provider disconnected", "code": 502},
                     "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}]}
            body = b"\n\n".join(events[:3] + [b"data: " + json.dumps(error).encode(), b"data: [DONE]", b""])
            return self.send(200, None, data=body, content_type="text/event-stream")
        if form == "sse-cut":
            # The connection closed after a few chunks: no finish_reason, no [DONE].
            return self.send(200, None, data=b"\n\n".join(sse(reply).split(b"\n\n")[:3]) + b"\n\n",
                             content_type="text/event-stream")
        if form == "chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 17):
                piece = data[i:i + 17]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send(200, reply)

    def do_CONNECT(self):
        if args.log:
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({"connect": self.path}) + "\n")
        self.send_response(200, "Connection established")
        self.end_headers()

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.loads(raw or b"{}")
        auth = self.headers.get("Authorization")
        path = urlsplit(self.path).path
        with lock:
            counter["requests"] += 1
            n = counter["requests"]
            if args.log:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"n": n, "path": self.path, "authorization": auth, "model": body.get("model"),
                                        "last": body.get("messages", [{}])[-1], "x_test": self.headers.get("X-Test"),
                                        "host": self.headers.get("Host"), "x_api_key": self.headers.get("X-Api-Key"),
                                        "body_len": len(raw)}) + "\n")
        if args.hang:
            while True:
                time.sleep(3600)
        if args.redirect and not path.startswith("/moved/"):
            return self.send(args.redirect, {}, {"Location": args.redirect_to})
        if not path.endswith("/chat/completions"):
            return self.send(404, {"error": {"message": "not found"}})
        if args.strict_model and body.get("model") != args.model:
            return self.send(404, {"error": {"message": f"The model `{body.get('model')}` does not exist",
                                             "code": "model_not_found"}})
        if args.require_key and auth != f"Bearer {args.require_key}":
            return self.send(401, {"error": {"message": "bad key"}})
        if n <= args.fail_first:
            return self.send(args.fail_status, {"error": {"message": "rate limited" if args.fail_status == 429 else "unavailable"}},
                             {"Retry-After": args.retry_after})
        if args.dialect in ("strict", "thinking"):
            refusal = strict_refusal(body) if args.dialect == "strict" else thinking_refusal(body)
            if refusal:
                return self.send(400, {"error": {"message": refusal, "type": "invalid_request_error"}})
        if n <= args.error_first:
            return self.send(200, {"error": {"message": "upstream overloaded", "type": "server_error"}})
        messages = body.get("messages", [])
        system = messages[0]["content"] if messages and messages[0].get("role") == "system" else ""
        if "Analyze the goal" in system:
            message = {"role": "assistant", "content": json.dumps({"summary": "what is asked", "constraints": ["be brief"],
                                                                   "success_criteria": ["an answer"]})}
        elif "planner" in system:
            message = {"role": "assistant", "content": "I would start by thinking about it." if args.malformed_plan
                       else plan_reply(messages)}
            if args.finish_reason == "length":
                message["content"] = message["content"][:len(message["content"]) // 2]
        elif "Judge" in system:
            message = {"role": "assistant", "content": "I cannot tell." if args.differ_step else json.dumps({"matches": True, "reason": "fine"})}
        elif "Review" in system:
            message = {"role": "assistant", "content": json.dumps({"verdict": "approved", "score": 0.8, "comments": ["ok"]})}
        else:
            message = executor_reply(body)
        prompt_chars = sum(len(str(m.get("content") or "")) for m in messages)
        usage = {"prompt_tokens": prompt_chars // 4 + 1, "completion_tokens": len(str(message.get("content") or "")) // 4 + 1}
        if args.dialect == "variant":
            message, usage = variant(message, usage)
        elif args.dialect == "functions":
            message = functions(message)
        elif args.dialect == "strict":
            message = strict(message)
        elif args.dialect == "thinking":
            message = dict(message, reasoning_content="I should call the tool." if message.get("tool_calls") else "")
            for call in message.get("tool_calls") or []:
                call["extra_content"] = {"google": {"thought_signature": "SIG-" + call["id"]}}
        finish = args.finish_reason or ("tool_calls" if message.get("tool_calls")
                                        else "function_call" if message.get("function_call") else "stop")
        reply = {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "model": args.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }
        if args.no_usage:
            del reply["usage"]
        self.send_completion(reply)


STANDARD_ASSISTANT_FIELDS = {"role", "content", "tool_calls", "function_call", "name"}


def strict_refusal(body):
    """What Groq or Gemini would answer 400 about in the request `body`, or None."""
    ids = set()
    for i, m in enumerate(body.get("messages", [])):
        if m.get("role") == "assistant":
            extra = sorted(set(m) - STANDARD_ASSISTANT_FIELDS)
            if extra:
                return f"'messages.{i}' : for 'role:assistant' the following must be satisfied[('messages.{i}' : property '{extra[0]}' is unsupported)]"
            for call in m.get("tool_calls") or []:
                if not isinstance(call["function"].get("arguments"), str):
                    return f"'messages.{i}.tool_calls' : arguments must be a string"
                ids.add(call.get("id"))
        if m.get("role") == "tool" and m.get("tool_call_id") not in ids:
            return f"'messages.{i}' : tool_call_id {m.get('tool_call_id')!r} names no call"
    for tool in body.get("tools") or []:
        if "additionalProperties" in json.dumps(tool):
            return 'Invalid JSON payload received. Unknown name "additionalProperties" at \'tools[0].function_declarations[0].parameters\''
    return None


def thinking_refusal(body):
    """What DeepSeek's thinking mode or Gemini 3 would answer 400 about in `body`, or None."""
    for i, m in enumerate(body.get("messages", [])):
        if m.get("role") == "assistant" and m.get("tool_calls"):
            if "reasoning_content" not in m:
                return f"Missing reasoning_content field in the assistant message at message index {i}"
            for call in m["tool_calls"]:
                if ((call.get("extra_content") or {}).get("google") or {}).get("thought_signature") != "SIG-" + call.get("id", ""):
                    return "Function call is missing a thought_signature in functionCall parts."
    return None


def strict(message):
    """The message as Groq (a reasoning field) and Ollama (content "" beside tool calls) shape it,
    with a second call and no call ids, as Gemini's endpoint sends them."""
    message = dict(message, reasoning="I should call the tool.")
    calls = message.get("tool_calls")
    if calls:
        message["content"] = ""
        first = calls[0]["function"]
        second = dict(first, arguments=json.dumps(dict(json.loads(first["arguments"]), n=2)))
        message["tool_calls"] = [{"type": "function", "function": first}, {"type": "function", "function": second}]
    return message


def sse(reply):
    """`reply` as a stream of chat.completion.chunk events: the role, the text in pieces of 10
    characters, each tool call (its name, then its arguments in two pieces), then the finish
    reason with the usage, then [DONE]."""
    message = reply["choices"][0]["message"]
    chunks = [{"role": "assistant"}]
    if "reasoning_content" in message:
        chunks.append({"reasoning_content": message["reasoning_content"]})
    text = message.get("content")
    if isinstance(text, str):
        chunks += [{"content": text[i:i + 10]} for i in range(0, len(text), 10)]
    for i, call in enumerate(message.get("tool_calls") or []):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        if args.reply_format == "sse-noindex":
            # Each call whole in one chunk, without its index (Gemini's endpoint, some proxies).
            chunks.append({"tool_calls": [{k: v for k, v in call.items() if k != "index"}]})
            continue
        first = {"index": i, "id": call.get("id"), "type": "function",
                 "function": {"name": call["function"]["name"], "arguments": arguments[:half]}}
        if "extra_content" in call:
            first["extra_content"] = call["extra_content"]
        chunks.append({"tool_calls": [first]})
        chunks.append({"tool_calls": [{"index": i, "function": {"arguments": arguments[half:]}}]})
    out = b": a comment line\n\n"
    for delta in chunks:
        chunk = {"id": reply["id"], "object": "chat.completion.chunk", "model": reply["model"],
                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        out += b"data: " + json.dumps(chunk).encode() + b"\n\n"
    last = {"id": reply["id"], "object": "chat.completion.chunk", "model": reply["model"],
            "choices": [{"index": 0, "delta": {}, "finish_reason": reply["choices"][0]["finish_reason"]}],
            "usage": reply["usage"]}
    return out + b"data: " + json.dumps(last).encode() + b"\n\ndata: [DONE]\n\n"


def variant(message, usage):
    """The message and usage as other OpenAI-compatible servers shape them."""
    message = dict(message)
    text = message.get("content")
    if isinstance(text, str):
        if "```json" in text:
            text = "<think>A first draft:\n```json\n{\"steps\": [{\"id\": \"draft\"}]}\n```\nToo thin.</think>\n" + text
        elif text:
            text = "<think>Checking the facts first.</think>\n" + text
        half = len(text) // 2
        message["content"] = [{"type": "text", "text": text[:half]}, {"type": "text", "text": text[half:]}]
    for call in message.get("tool_calls") or []:
        call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return message, {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]}


def functions(message):
    """The message as servers of the function-calling API before tool calls shape it."""
    message = dict(message)
    calls = message.pop("tool_calls", None)
    if calls:
        message["function_call"] = calls[0]["function"]
    return message


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="fake-model")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--require-key")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--error-first", type=int, default=0)
    p.add_argument("--dialect", choices=["openai", "variant", "functions", "strict", "thinking"], default="openai",
                   help="strict: refuses what Groq and Gemini refuse (assistant messages with fields beyond the "
                        "standard ones, additionalProperties in a tool's parameters, a tool result naming no call) "
                        "and replies as they may: two tool calls without ids, content \"\", a reasoning field; "
                        "thinking: as DeepSeek's thinking mode and Gemini 3, replies with reasoning_content and each tool "
                        "call's extra_content (a thought signature), and refuses a tool-call turn sent back without them")
    p.add_argument("--no-usage", action="store_true", help="replies without usage")
    p.add_argument("--fail-status", type=int, default=429, help="the status of the --fail-first replies")
    p.add_argument("--retry-after", default="0", help="the Retry-After header of the --fail-first replies (seconds)")
    p.add_argument("--malformed-plan", action="store_true")
    p.add_argument("--reply-format", choices=["json", "gzip", "chunked", "sse", "sse-noindex", "sse-error", "sse-cut", "json-as-sse", "bom", "html", "empty", "nonutf8", "vllm-error", "refusal"], default="json")
    p.add_argument("--finish-reason")
    p.add_argument("--redirect", type=int)
    p.add_argument("--redirect-to")
    p.add_argument("--hang", action="store_true")
    p.add_argument("--strict-model", action="store_true")
    p.add_argument("--differ-step")
    p.add_argument("--log")
    p.add_argument("--exit-with-stdin", action="store_true", help="exit when standard input closes")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.exit_with_stdin:
        # Stop when whoever started us goes away (closes our stdin), even if SIGTERM is blocked.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
