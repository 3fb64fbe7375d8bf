import React from 'react';

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) {
    return 'jp-batch-diff-file';
  }
  if (line.startsWith('@@')) {
    return 'jp-batch-diff-hunk';
  }
  if (line.startsWith('+')) {
    return 'jp-batch-diff-add';
  }
  if (line.startsWith('-')) {
    return 'jp-batch-diff-del';
  }
  return '';
}

/** A unified diff, added lines green and removed ones red. */
export function DiffView(props: { diff: string; title: string }): JSX.Element {
  const lines = props.diff ? props.diff.replace(/\n$/, '').split('\n') : [];
  return (
    <div className="jp-batch-diff">
      <div className="jp-batch-section-title">{props.title}</div>
      {lines.length === 0 ? (
        <div className="jp-batch-empty">The two versions are the same.</div>
      ) : (
        <pre className="jp-batch-diff-text">
          {lines.map((line, i) => (
            <div key={i} className={lineClass(line)}>
              {line || ' '}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
