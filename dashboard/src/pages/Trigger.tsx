// Trigger: a run of a workflow, with its input and metadata as JSON checked while typed.
import { useState, type FormEvent } from "react";
import { post, type Schemas } from "../api";
import { navigate, useLocation } from "../router";
import { ErrorNote } from "../ui";
import { useWorkflowNames } from "./Runs";

function parse(text: string, object: boolean): { value?: unknown; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (object && (typeof value !== "object" || value === null || Array.isArray(value))) {
      return { error: "must be a JSON object" };
    }
    return { value };
  } catch (err) {
    return { error: err instanceof Error ? err.message : "not JSON" };
  }
}

export function Trigger() {
  const { search } = useLocation();
  const workflows = useWorkflowNames();
  const [workflow, setWorkflow] = useState(search.get("workflow") ?? "");
  const [input, setInput] = useState("{}");
  const [metadata, setMetadata] = useState("{}");
  const [priority, setPriority] = useState("");
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const inputCheck = parse(input, false);
  const metadataCheck = parse(metadata, true);
  const valid = !!workflow && !inputCheck.error && !metadataCheck.error;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    setError(null);
    try {
      const made = await post<Schemas["Triggered"]>("/v1/runs", {
        workflow,
        input: inputCheck.value,
        metadata: metadataCheck.value,
        priority: priority === "" ? null : Number(priority),
        idempotency_key: key || null,
      });
      navigate(`/runs/${made.run_id}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1>Trigger a run</h1>
      <form className="stack" onSubmit={submit} aria-label="Trigger a run">
        <label>
          Workflow
          <input
            list="workflow-names"
            value={workflow}
            onChange={(e) => setWorkflow(e.target.value)}
            required
          />
          <datalist id="workflow-names">
            {workflows.map((w) => (
              <option key={w} value={w} />
            ))}
          </datalist>
        </label>
        <label>
          Input (JSON)
          <textarea
            rows={8}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            aria-invalid={!!inputCheck.error}
            spellCheck={false}
          />
        </label>
        {inputCheck.error ? <p className="error">Input: {inputCheck.error}</p> : null}
        <label>
          Metadata (a JSON object of tags)
          <textarea
            rows={3}
            value={metadata}
            onChange={(e) => setMetadata(e.target.value)}
            aria-invalid={!!metadataCheck.error}
            spellCheck={false}
          />
        </label>
        {metadataCheck.error ? <p className="error">Metadata: {metadataCheck.error}</p> : null}
        <label>
          Priority
          <input
            type="number"
            value={priority}
            onChange={(e) => setPriority(e.target.value)}
            placeholder="the workflow's"
          />
        </label>
        <label>
          Idempotency key
          <input value={key} onChange={(e) => setKey(e.target.value)} placeholder="optional" />
        </label>
        <button type="submit" disabled={!valid}>
          Trigger
        </button>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}
