import { Lexer, type Token, type Tokens } from 'marked';
import { type ReactNode, useMemo } from 'react';

/*
 * Markdown (GitHub-flavoured, as MLflow's UI renders descriptions) turned into React elements
 * from marked's tokens: nothing goes through innerHTML. Raw HTML in the source is shown as
 * text, and only http:, https:, mailto: and relative link targets become links.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The character references marked leaves in text tokens (it expects to write HTML). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The link target if it is http:, https:, mailto: or relative, as the browser would resolve it. */
export function safeHref(href: string): string | undefined {
  try {
    // Resolved as the browser does (tabs and newlines dropped, case folded); a relative one takes the page's http(s) scheme.
    const url = new URL(href, window.location.href);
    return SAFE_PROTOCOLS.has(url.protocol) ? href : undefined;
  } catch {
    return undefined;
  }
}

function inline(tokens: Token[] | undefined, key = ''): ReactNode[] {
  return (tokens ?? []).map((t, i) => renderInline(t, `${key}${i}.`));
}

function renderInline(token: Token, key: string): ReactNode {
  const t = token as Tokens.Generic;
  switch (token.type) {
    case 'text':
      return t.tokens ? <span key={key}>{inline(t.tokens, key)}</span> : decodeEntities(String(t.text));
    case 'escape':
      return decodeEntities(String(t.text));
    case 'strong':
      return <strong key={key}>{inline(t.tokens, key)}</strong>;
    case 'em':
      return <em key={key}>{inline(t.tokens, key)}</em>;
    case 'del':
      return <del key={key}>{inline(t.tokens, key)}</del>;
    case 'codespan':
      return <code key={key}>{decodeEntities(String(t.text))}</code>;
    case 'br':
      return <br key={key} />;
    case 'checkbox':
      return <input key={key} type="checkbox" checked={t.checked === true} disabled readOnly />;
    case 'link': {
      const link = token as Tokens.Link;
      const href = safeHref(link.href);
      const children = inline(link.tokens, key);
      if (href === undefined) return <span key={key}>{children}</span>;
      return (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer" {...(link.title ? { title: link.title } : {})}>
          {children}
        </a>
      );
    }
    case 'image': {
      // Not fetched (no third-party requests from a description): a link to it, if its URL is safe.
      const img = token as Tokens.Image;
      const href = safeHref(img.href);
      const label = `[image: ${decodeEntities(img.text) || img.href}]`;
      return href === undefined ? (
        label
      ) : (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer">
          {label}
        </a>
      );
    }
    case 'html':
      // Raw HTML is shown as the text it is.
      return String(t.raw);
    default:
      return t.tokens ? <span key={key}>{inline(t.tokens, key)}</span> : String(t.raw ?? '');
  }
}

function renderBlock(token: Token, key: string): ReactNode {
  const t = token as Tokens.Generic;
  switch (token.type) {
    case 'space':
    case 'def':
      return null;
    case 'heading': {
      const h = token as Tokens.Heading;
      const Tag = `h${Math.min(Math.max(h.depth, 1), 6)}` as 'h1';
      return <Tag key={key}>{inline(h.tokens, key)}</Tag>;
    }
    case 'paragraph':
      return <p key={key}>{inline(t.tokens, key)}</p>;
    case 'text':
      // Block-level text (inside a tight list item).
      return <span key={key}>{t.tokens ? inline(t.tokens, key) : decodeEntities(String(t.text))}</span>;
    case 'code':
      return (
        <pre key={key}>
          <code>{String(t.text)}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote key={key}>{blocks(t.tokens, key)}</blockquote>;
    case 'hr':
      return <hr key={key} />;
    case 'list': {
      const list = token as Tokens.List;
      const items = list.items.map((item, i) => <li key={`${key}${i}`}>{blocks(item.tokens, `${key}${i}.`)}</li>);
      return list.ordered ? (
        <ol key={key} {...(typeof list.start === 'number' && list.start !== 1 ? { start: list.start } : {})}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case 'table': {
      const table = token as Tokens.Table;
      const style = (align: Tokens.TableCell['align']) => (align ? { textAlign: align } : undefined);
      return (
        <table key={key} className="grid">
          <thead>
            <tr>
              {table.header.map((c, i) => (
                <th key={i} scope="col" style={style(c.align)}>
                  {inline(c.tokens, `${key}h${i}.`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, r) => (
              <tr key={r}>
                {row.map((c, i) => (
                  <td key={i} style={style(c.align)}>
                    {inline(c.tokens, `${key}${r}.${i}.`)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    case 'html':
      // A raw HTML block: its source as text.
      return (
        <p key={key} className="raw-html">
          {String(t.raw).trimEnd()}
        </p>
      );
    default:
      return renderInline(token, key);
  }
}

function blocks(tokens: Token[] | undefined, key = ''): ReactNode[] {
  return (tokens ?? []).map((t, i) => renderBlock(t, `${key}${i}.`));
}

/** `source` rendered as Markdown, safely (see the top of this file). */
export function Markdown({ source, className }: { source: string; className?: string }) {
  const rendered = useMemo(() => blocks(Lexer.lex(source, { gfm: true, breaks: false })), [source]);
  return <div className={className ?? 'markdown'}>{rendered}</div>;
}
