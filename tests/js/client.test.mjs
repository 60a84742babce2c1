// The official @elastic/elasticsearch client (8.x) against a live node (QUARRY_URL):
// product check, index/get/search round trip, bulk helper, and the error shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, errors } from '@elastic/elasticsearch';

const url = process.env.QUARRY_URL ?? 'http://127.0.0.1:9200';
const client = new Client({ node: url });
const index = `js-client-${process.pid}`;

test('info passes the product check', async () => {
  const info = await client.info();
  assert.equal(info.tagline, 'You Know, for Search');
  assert.match(info.version.number, /^8\./);
});

test('index, get and search round trip', async () => {
  await client.indices.create({ index, settings: { number_of_shards: 2, number_of_replicas: 0 } });
  const created = await client.index({ index, id: '1', document: { title: 'hello from javascript', n: 1 }, refresh: true });
  assert.equal(created.result, 'created');
  const got = await client.get({ index, id: '1' });
  assert.equal(got._source.title, 'hello from javascript');
  const found = await client.search({ index, query: { match: { title: 'javascript' } } });
  assert.equal(found.hits.total.value, 1);
  assert.equal(found.hits.hits[0]._id, '1');
});

test('bulk helper indexes many documents', async () => {
  const docs = Array.from({ length: 200 }, (_, i) => ({ n: i, tag: i % 2 ? 'odd' : 'even' }));
  const result = await client.helpers.bulk({
    datasource: docs,
    onDocument: () => ({ index: { _index: index } }),
    refreshOnCompletion: true,
  });
  assert.equal(result.failed, 0);
  assert.equal(result.successful, 200);
  const count = await client.count({ index, query: { term: { 'tag.keyword': 'odd' } } });
  assert.equal(count.count, 100);
});

test('errors arrive as ResponseError with the Elasticsearch envelope', async () => {
  await assert.rejects(client.get({ index: 'js-client-missing', id: '1' }), (err) => {
    assert.ok(err instanceof errors.ResponseError);
    assert.equal(err.statusCode, 404);
    assert.equal(err.body.error.type, 'index_not_found_exception');
    return true;
  });
  await client.indices.delete({ index });
});
