import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorState } from './States';
import { Markdown } from './Markdown';

/**
 * A description shown as Markdown, with an Edit control (textarea, Save, Cancel) when `onSave`
 * is given, i.e. for callers the page found to have EDIT or above. The API's error shows inline.
 */
export function Description({ description, what, onSave }: { description: string | undefined; what: string; onSave?: (description: string) => Promise<unknown> }) {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const save = useMutation({
    mutationFn: async (text: string) => {
      if (!onSave) return;
      await onSave(text);
    },
    onSuccess: () => setDraft(undefined),
  });
  const text = description ?? '';
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (draft !== undefined) save.mutate(draft);
  };
  return (
    <section aria-labelledby="description-heading" className="description">
      <h2 id="description-heading">
        Description{' '}
        {onSave && draft === undefined && (
          <button
            type="button"
            className="small"
            aria-label={`Edit ${what} description`}
            onClick={() => {
              save.reset();
              setDraft(text);
            }}
          >
            Edit
          </button>
        )}
      </h2>
      {draft !== undefined ? (
        <form onSubmit={onSubmit} className="description-editor">
          <label htmlFor="description-text">Description (Markdown)</label>
          <textarea id="description-text" rows={10} value={draft} onChange={(e) => setDraft(e.target.value)} disabled={save.isPending} />
          <p>
            <button type="submit" disabled={save.isPending}>
              Save
            </button>{' '}
            <button
              type="button"
              disabled={save.isPending}
              onClick={() => {
                save.reset();
                setDraft(undefined);
              }}
            >
              Cancel
            </button>
          </p>
          {save.isError && <ErrorState error={save.error} />}
        </form>
      ) : text.trim() === '' ? (
        <p className="state" data-testid="description-empty">
          {onSave ? `No description yet: choose Edit to add one (Markdown is supported).` : 'No description'}
        </p>
      ) : (
        <div data-testid="description">
          <Markdown source={text} />
        </div>
      )}
    </section>
  );
}
