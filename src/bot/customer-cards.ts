// The card builders the bridge uses: every incident card names the customer (pair) the incident
// belongs to when there is one to name (several pairs, or a pair with a display name), wherever
// the card is rendered (posted, updated, answered to a click or a command, inserted by a search).
import { renderIncidentCard } from '../cards/incident-card.ts';
import { buildChangeNoticeText } from '../cards/change-notice.ts';
import type { CustomerNames } from '../domain/pair-names.ts';
import type { CardBuilders } from './ports.ts';

export function cardBuildersFor(customers: CustomerNames): CardBuilders {
  return {
    renderIncidentCard: (view, options) => renderIncidentCard(view, { ...options, customer: customers.customerOf(view.pairId) }),
    buildChangeNoticeText,
  };
}
