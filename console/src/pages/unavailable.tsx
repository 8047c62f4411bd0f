/** A view the console cannot show: one the token may not see, or no view at all. */
import { Page } from '../components/page';

export function Unavailable({ title, what }: { title: string; what: string }) {
  return (
    <Page title={title}>
      <p class="card">{what}</p>
    </Page>
  );
}
