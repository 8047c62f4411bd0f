/**
 * Tokens (the seed's settings page): the caller's tokens (GET /tokens; every token for a token of
 * every scope and tenant), creating one, revoking one with every token it minted.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { Notice, type NoticeState } from '../components/notice';
import { Page } from '../components/page';
import { TableRegion } from '../components/table';
import { day } from '../format';
import { can, type Grants } from '../grants';
import { NewToken, TokenForm, type CreatedToken } from './token-form';

interface Token {
  readonly id: string; readonly description: string; readonly scopes: readonly string[]; readonly tenants: readonly string[];
  readonly created: string; readonly expires: string; readonly 'created-by': string; readonly 'last-used'?: string;
}

/** How many of the listed tokens `id` minted, directly or not (a revocation takes them too). */
export function descendants(tokens: readonly Token[], id: string): number {
  const found = new Set<string>();
  const walk = (parent: string) => tokens.filter((t) => t['created-by'] === parent && !found.has(t.id)).forEach((t) => (found.add(t.id), walk(t.id)));
  walk(id);
  return found.size;
}

function TokenRows({ tokens, grants, onRevoke }: { tokens: readonly Token[]; grants: Grants; onRevoke: (token: Token) => void }) {
  const revokes = can(grants, 'tokens:delete');
  return (
    <TableRegion label="Tokens">
      <thead>
        <tr><th scope="col">Id (created by)</th><th scope="col">Description</th><th scope="col">Scopes</th><th scope="col">Tenants</th><th scope="col">Expires</th><th scope="col">Last used</th>{revokes && <th scope="col">Actions</th>}</tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id}>
            <td>
              <code class="id">{t.id}</code>{t.id === grants['token-id'] && <span class="tag">this session</span>}
              <div class="hint">by {t['created-by']}</div>
            </td>
            <td>{t.description}</td>
            <td>{t.scopes.join(', ')}</td>
            <td>{t.tenants.join(', ')}</td>
            <td class="when">{day(t.expires)}</td>
            <td class="when">{day(t['last-used'])}</td>
            {revokes && <td><button type="button" class="danger" onClick={() => onRevoke(t)} aria-label={`Revoke ${t.id}`}>Revoke</button></td>}
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}

export function Tokens({ grants }: { grants: Grants }) {
  const [tokens, setTokens] = useState<readonly Token[]>();
  const [created, setCreated] = useState<CreatedToken>();
  const [notice, setNotice] = useState<NoticeState>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const load = async () => {
    if (!can(grants, 'tokens:read')) return;
    try {
      setTokens((await api<Token[]>('GET', '/tokens')).body);
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    }
  };
  useEffect(() => void load(), []);
  const revoke = (token: Token) => {
    const family = tokens === undefined ? 0 : descendants(tokens, token.id);
    const own = token.id === grants['token-id'] ? ' This session uses it: you will be signed out.' : '';
    setConfirm({
      title: `Revoke ${token.id}?`, action: 'Revoke',
      text: `It stops working at once, on every registry instance${family > 0 ? `, together with the ${family} token${family === 1 ? '' : 's'} it minted` : ''}.${own}`,
      onConfirm: async () => {
        try {
          await api('DELETE', `/tokens/${seg(token.id)}`);
          await load();
          setNotice({ kind: 'info', text: `Revoked ${token.id}${family > 0 ? ` and ${family} more` : ''}.` });
        } catch (err) {
          setNotice({ kind: 'error', text: messageOf(err) });
        }
      },
    });
  };
  const onCreated = (token: CreatedToken) => {
    setCreated(token);
    void load();
  };
  return (
    <Page title="Tokens" intro="Management API tokens: the ones this token created, and itself. Values are shown only when a token is created.">
      <Notice notice={notice} />
      {created !== undefined && <NewToken created={created} onDone={() => setCreated(undefined)} />}
      {tokens !== undefined && <TokenRows tokens={tokens} grants={grants} onRevoke={revoke} />}
      {can(grants, 'tokens:create') && created === undefined && <TokenForm grants={grants} onCreated={onCreated} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </Page>
  );
}
