/** Tenants and Devices until the /v1 API lands (part 2 of the console). */
import { Page } from '../components/page';

export function Coming({ title, what }: { title: string; what: string }) {
  return (
    <Page title={title}>
      <p class="card">Coming with /v1: {what}</p>
    </Page>
  );
}
