// A run's DAG: steps in columns by depth (a step sits right of all its parents), edges from
// parent to child, each node coloured by its task's state. Nodes are buttons: Tab and Enter.
import type { Task } from "../api";

export interface Step {
  name: string;
  parents: string[];
}

const W = 170;
const H = 44;
const GAP_X = 60;
const GAP_Y = 18;

export function layout(steps: Step[]): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const byName = new Map(steps.map((s) => [s.name, s]));
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot be registered; stay safe anyway
    seen.add(name);
    const parents = byName.get(name)?.parents ?? [];
    const d = parents.length ? Math.max(...parents.map((p) => depthOf(p, seen) + 1)) : 0;
    depth.set(name, d);
    return d;
  };
  const columns: string[][] = [];
  for (const step of steps) {
    const d = depthOf(step.name, new Set());
    (columns[d] ??= []).push(step.name);
  }
  const where = new Map<string, { x: number; y: number }>();
  columns.forEach((column, i) =>
    column.forEach((name, j) => where.set(name, { x: i * (W + GAP_X), y: j * (H + GAP_Y) })),
  );
  return where;
}

export function Dag(props: {
  steps: Step[];
  tasks: Task[];
  selected: string | null;
  onSelect: (step: string) => void;
}) {
  const where = layout(props.steps);
  const tasks = new Map(props.tasks.map((t) => [t.step, t]));
  const width = Math.max(...[...where.values()].map((p) => p.x + W), W) + 2;
  const height = Math.max(...[...where.values()].map((p) => p.y + H), H) + 2;
  return (
    <div className="dag-wrap">
      <svg
        className="dag"
        width={width}
        height={height}
        viewBox={`-1 -1 ${width} ${height}`}
        role="group"
        aria-label="The run's steps"
      >
        {props.steps.flatMap((step) =>
          step.parents.map((parent) => {
            const a = where.get(parent);
            const b = where.get(step.name);
            if (!a || !b) return null;
            const x1 = a.x + W;
            const y1 = a.y + H / 2;
            const x2 = b.x;
            const y2 = b.y + H / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${parent}->${step.name}`}
                className="edge"
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              />
            );
          }),
        )}
        {props.steps.map((step) => {
          const p = where.get(step.name)!;
          const task = tasks.get(step.name);
          const status = task?.status ?? "pending";
          const select = () => props.onSelect(step.name);
          return (
            <g
              key={step.name}
              transform={`translate(${p.x},${p.y})`}
              className={`node node-${status}${props.selected === step.name ? " selected" : ""}`}
              data-step={step.name}
              data-status={status}
              role="button"
              tabIndex={0}
              aria-pressed={props.selected === step.name}
              aria-label={`${step.name}: ${status}`}
              onClick={select}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  select();
                }
              }}
            >
              <rect width={W} height={H} rx={6} />
              <text x={10} y={18}>
                {step.name.length > 22 ? `${step.name.slice(0, 21)}…` : step.name}
              </text>
              <text x={10} y={35} className="sub">
                {status}
                {task && task.attempt > 1 ? ` · attempt ${task.attempt}` : ""}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
