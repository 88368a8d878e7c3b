import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { ApiKeyValue } from '../lib/mlflow';
import { ErrorState } from './States';

/**
 * Tags as a table; with `onSet`/`onDelete` (the caller may edit) a form to add or change one and a
 * remove button per tag. Without them the tags are read-only and no control shows.
 */
export function TagsEditor({
  title = 'Tags',
  tags,
  onSet,
  onDelete,
  readOnlyReason,
}: {
  title?: string;
  tags: ApiKeyValue[];
  onSet?: (key: string, value: string) => Promise<unknown>;
  onDelete?: (key: string) => Promise<unknown>;
  readOnlyReason?: string;
}) {
  const id = `tags-${title.toLowerCase().replace(/\W+/g, '-')}`;
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const set = useMutation({
    mutationFn: (kv: { key: string; value: string }) => onSet!(kv.key, kv.value),
    onSuccess: () => {
      setKey('');
      setValue('');
    },
  });
  const remove = useMutation({ mutationFn: (k: string) => onDelete!(k) });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) set.mutate({ key: key.trim(), value });
  };
  const sorted = [...tags].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section aria-labelledby={id} className="tags">
      <h2 id={id}>{title}</h2>
      {sorted.length === 0 ? (
        <p className="state">None.</p>
      ) : (
        <table className="grid" aria-label={title}>
          <tbody>
            {sorted.map((t) => (
              <tr key={t.key}>
                <th scope="row">{t.key}</th>
                <td>{t.value}</td>
                {onDelete && (
                  <td>
                    <button type="button" className="small" aria-label={`Remove tag ${t.key}`} disabled={remove.isPending} onClick={() => remove.mutate(t.key)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onSet ? (
        <form className="inline" onSubmit={onSubmit} aria-label={`Set a ${title.toLowerCase()} entry`}>
          <label htmlFor={`${id}-key`}>Key</label>
          <input id={`${id}-key`} value={key} onChange={(e) => setKey(e.target.value)} size={14} />
          <label htmlFor={`${id}-value`}>Value</label>
          <input id={`${id}-value`} value={value} onChange={(e) => setValue(e.target.value)} size={18} />
          <button type="submit" disabled={set.isPending || !key.trim()}>
            Set tag
          </button>
        </form>
      ) : (
        readOnlyReason && <p className="dim">{readOnlyReason}</p>
      )}
      {set.isError && <ErrorState error={set.error} />}
      {remove.isError && <ErrorState error={remove.error} />}
    </section>
  );
}
