import { parseModelUri } from '../../src/modules/serving/job/model-uri';
import { archiveUrl } from '../../src/modules/serving/job/archive-fetch';

describe('the serving job reads models:/ URIs as MLflow writes them', () => {
  it.each([
    ['models:/churn/Production', { name: 'churn', selector: 'Production' }],
    ['models:/churn/staging', { name: 'churn', selector: 'staging' }],
    ['models:/churn/3', { name: 'churn', selector: '3' }],
    ['models:/churn/latest', { name: 'churn', selector: 'latest' }],
    ['models:/churn@champion', { name: 'churn', selector: '@champion' }],
    ['models:/team/churn/Production', { name: 'team/churn', selector: 'Production' }],
  ])('%s', (uri, ref) => {
    expect(parseModelUri(uri)).toEqual(ref);
  });

  it.each(['runs:/abc/model', 'models:/churn', 'models:/', 'models://Production', 'models:/churn@', 'models:/churn/', 'churn/Production'])('refuses %s', (uri) => {
    expect(parseModelUri(uri)).toBeUndefined();
  });

  it('fetches through the archive route, with the name and selector encoded', () => {
    expect(archiveUrl('http://registry:5000/', { name: 'team/churn v2', selector: '@champion' })).toBe(
      'http://registry:5000/api/2.0/registry/models/team%2Fchurn%20v2/%40champion/archive.tar.gz',
    );
  });
});
