<?php
// Health contract (docs/health-contract.md): 200 {"status":"ok","db":"ok",...} only when the
// database answers a query within 2 s; otherwise 503 {"status":"error","db":"error",...}.
// read_only tells a replica (1) from a writable primary (0), for the failover's verification.
require __DIR__ . '/db.php';
header('Content-Type: application/json');
header('Cache-Control: no-store');
$started = microtime(true);
$body = ['status' => 'ok', 'db' => 'ok', 'region' => getenv('APP_REGION') ?: 'unknown', 'time' => gmdate('c')];
try {
    $row = pilot_light_db()->query('SELECT 1 AS up, @@global.read_only AS read_only')->fetch(PDO::FETCH_ASSOC);
    $body['readOnly'] = ((int) $row['read_only']) === 1;
    http_response_code(200);
} catch (Throwable $e) {
    $body['status'] = 'error';
    $body['db'] = 'error';
    $body['error'] = get_class($e);
    http_response_code(503);
}
$body['latencyMs'] = (int) round((microtime(true) - $started) * 1000);
echo json_encode($body), "\n";
