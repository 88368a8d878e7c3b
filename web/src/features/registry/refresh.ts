import { useQueryClient } from '@tanstack/react-query';

/**
 * Invalidates every view of a registered model the version and model pages show: a move, a request,
 * an approval, a comment, a tag or alias edit can each change several of them (a move also closes
 * open requests and adds to the activity feed).
 */
export function useModelRefresh(name: string): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    for (const key of ['requests', 'alias-requests', 'comments', 'activity', 'version', 'versions', 'model', 'audit']) await client.invalidateQueries({ queryKey: [key, name] });
  };
}
